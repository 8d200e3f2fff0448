"""ensure_host: a host account with a random password, created once."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def run() -> str:
    out = StringIO()
    call_command("ensure_host", stdout=out)
    return out.getvalue()


def test_first_run_creates_a_staff_host_and_prints_its_password() -> None:
    output = run()
    password = re.search(r"password:\s+(\S+)", output).group(1)
    host = get_user_model().objects.get(username="host")
    assert host.is_staff
    assert host.check_password(password)
    assert len(password) >= 20


def test_passwords_are_random() -> None:
    first = re.search(r"password:\s+(\S+)", run()).group(1)
    get_user_model().objects.all().delete()
    second = re.search(r"password:\s+(\S+)", run()).group(1)
    assert first != second


def test_second_run_keeps_the_password() -> None:
    run()
    before = get_user_model().objects.get(username="host").password
    output = run()
    assert "password:" not in output
    assert "changepassword host" in output
    assert get_user_model().objects.get(username="host").password == before
