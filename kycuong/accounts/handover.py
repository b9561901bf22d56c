"""Grants carried over to the successors of reorganised units (registered with kycuong.org.handover).

The organisation proposes, an administrator confirms; only then does `create` make the grant, through
`services.grant_create` (scope checked, audited). Undoing a reorganisation removes the grants it created.
"""

import datetime

from django.db import transaction

from kycuong.core.audit import audit_deleted, snapshot
from kycuong.core.scoping import require
from kycuong.org.handover import GrantInfo, refusal
from kycuong.org.models import Unit

from .models import Grant, Role, User
from .services import grant_create


class GrantCarrier:
    def grants_on(self, unit_ids: list[int]) -> list[GrantInfo]:
        grants = (
            Grant.objects.active()
            .filter(unit_id__in=unit_ids)
            .order_by("unit_id", "user_id", "id")
            .values_list("id", "user_id", "user__username", "role__code", "unit_id", "include_descendants")
        )
        return [GrantInfo(*row) for row in grants]

    def create(
        self,
        *,
        actor,
        user_id: int,
        role_code: str,
        unit_id: int,
        include_descendants: bool,
        valid_from: datetime.date,
    ) -> int:
        role = Role.objects.filter(code=role_code).first()
        if role is None:
            raise refusal("role_missing")
        if Grant.objects.filter(user_id=user_id, role=role, unit_id=unit_id).exists():
            raise refusal("grant_exists")
        grant = grant_create(
            actor=actor,
            user=User.objects.get(pk=user_id),
            role=role,
            unit=Unit.objects.get(pk=unit_id),
            include_descendants=include_descendants,
            valid_from=valid_from,
        )
        return grant.pk

    def remove(self, *, actor, grant_id: int) -> None:
        grant = Grant.objects.filter(pk=grant_id).select_related("user", "role", "unit").first()
        if grant is None:
            return
        require(actor, "accounts.delete_grant", grant.unit_id)
        with transaction.atomic():
            before = snapshot(grant)
            audit_deleted(actor=actor, instance=grant, before=before)
            grant.delete()


GRANT_CARRIER = GrantCarrier()
