"""Django's changepassword, with the change written to the audit log (never the password itself)."""

import getpass

from django.contrib.auth.management.commands import changepassword
from django.db import transaction

from kycuong.accounts.models import User
from kycuong.core.audit import audit_event
from kycuong.core.context import SystemActor, request_context


class Command(changepassword.Command):
    def handle(self, *args, **options):
        username = options.get("username") or getpass.getuser()
        with request_context(), transaction.atomic():
            result = super().handle(*args, **options)
            user = User.objects.get(username=username)
            actor = SystemActor("changepassword", kind="command")
            audit_event(actor=actor, action="password_change", instance=user)
        return result
