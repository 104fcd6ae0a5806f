"""Make (or update) a facilitator: a staff account that may open consoles.

python manage.py createfacilitator NAME --password SECRET   # non-interactive
python manage.py createfacilitator NAME                      # asks for the password
"""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a facilitator account (a staff user), or reset its password if it exists."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the name the facilitator signs in with")
        parser.add_argument("--password", help="set this password without asking (scripts, CI)")
        parser.add_argument("--email", default="")

    def handle(self, *args, name: str, password: str | None, email: str, **options):
        name = name.strip()
        if not name:
            raise CommandError("give a name")
        if password is None:
            if not options.get("interactive", True):
                raise CommandError("--password is required when not interactive")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        User = get_user_model()
        user = User.objects.filter(username=name).first()
        try:
            # A new account is checked against its own name too (UserAttributeSimilarityValidator).
            validate_password(password, user or User(username=name, email=email))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        created = user is None
        if user is None:
            user = User(username=name, email=email)
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} facilitator {name!r}. Sign in at /accounts/login/."))
