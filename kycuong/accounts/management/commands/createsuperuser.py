"""Django's createsuperuser, with the new account written to the audit log in the same transaction."""

from django.contrib.auth.management.commands import createsuperuser
from django.db import transaction

from kycuong.accounts.models import User
from kycuong.core.audit import audit_created
from kycuong.core.context import SystemActor, request_context


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        with request_context(), transaction.atomic():
            known = set(User.objects.values_list("pk", flat=True))
            result = super().handle(*args, **options)
            for user in User.objects.exclude(pk__in=known):
                audit_created(actor=SystemActor("createsuperuser", kind="command"), instance=user)
        return result
