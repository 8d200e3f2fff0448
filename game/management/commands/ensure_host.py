"""Make sure the workshop host's account exists, without ever using a fixed password."""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

# 16 random bytes, URL-safe: about 22 characters, easy enough to type from a terminal.
PASSWORD_BYTES = 16


class Command(BaseCommand):
    help = "Create the staff user 'host' with a random password, once; later runs change nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="host")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            self.stdout.write(
                f"Host account '{username}' exists. "
                f"Reset its password with: python manage.py changepassword {username}"
            )
            return
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        # Superuser so that the host can also manage cases and sessions in /admin/.
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS("Created host account.")
            + f"\n  user name: {username}\n  password:  {password}\n"
            "Write the password down: it is not shown again."
        )
