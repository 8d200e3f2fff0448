"""Make sure the workshop host's account exists, without ever using a fixed password.

The host is a staff account, not a superuser: in the admin it manages the
cases and sees its own sessions only (game.admin), like on its pages. A
superuser, who sees every host's sessions, is made only with ``--superuser``.
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandParser

# 16 random bytes, URL-safe: about 22 characters, easy enough to type from a terminal.
PASSWORD_BYTES = 16
# What a host may do in the admin: edit the cases, read (and delete ended) own sessions.
HOST_PERMISSIONS = [
    ("cases", "add_case"),
    ("cases", "change_case"),
    ("cases", "view_case"),
    ("cases", "view_caseversion"),
    ("game", "view_session"),
    ("game", "delete_session"),
    ("game", "view_event"),
]


def host_permissions() -> list[Permission]:
    found = []
    for app, codename in HOST_PERMISSIONS:
        perm = Permission.objects.filter(content_type__app_label=app, codename=codename).first()
        if perm is not None:
            found.append(perm)
    return found


class Command(BaseCommand):
    help = (
        "Create the staff user 'host' (not a superuser) with a random password, once; "
        "later runs change nothing. --superuser makes a superuser instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="host")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="make the account a superuser (it then sees every host's sessions)",
        )

    def handle(self, *args: Any, username: str, superuser: bool, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            changed = []
            if not user.is_staff:
                user.is_staff = True
                changed.append("is_staff")
            if superuser and not user.is_superuser:
                user.is_superuser = True
                changed.append("is_superuser")
            if changed:
                user.save(update_fields=changed)
            user.user_permissions.add(*host_permissions())
            self.stdout.write(
                f"Host account '{username}' exists"
                + (" (a superuser: it sees every host's sessions)" if user.is_superuser else "")
                + f". Reset its password with: python manage.py changepassword {username}"
            )
            return
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        if superuser:
            user = User.objects.create_superuser(username=username, email="", password=password)
        else:
            user = User.objects.create_user(username=username, password=password, is_staff=True)
            user.user_permissions.add(*host_permissions())
        kind = "superuser" if superuser else "host account"
        self.stdout.write(
            self.style.SUCCESS(f"Created {kind}.")
            + f"\n  user name: {username}\n  password:  {password}\n"
            "Write the password down: it is not shown again."
        )
