"""Hand-over of service points to the successor of a reorganised unit (registered with kycuong.org.handover).

Ratings and their daily and monthly counts keep the unit they were given to, so earlier figures stay where
they were; ratings given after the hand-over count for the successor.
"""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kycuong.core.audit import audit_write, entry_for
from kycuong.org.handover import OpenRecord, refusal

from .models import ServicePoint
from .selectors import public_points


class ActiveServicePoints:
    key = "satisfaction.servicepoint"
    label = gettext_lazy("Service points")

    def open_counts(self, unit_ids: list[int]) -> dict[int, int]:
        rows = (
            ServicePoint.objects.filter(unit_id__in=unit_ids, active=True)
            .order_by()
            .values("unit_id")
            .annotate(total=Count("id"))
        )
        return {row["unit_id"]: row["total"] for row in rows}

    def open_records(self, unit_ids: list[int], limit: int | None) -> list[OpenRecord]:
        points = (
            ServicePoint.objects.filter(unit_id__in=unit_ids, active=True)
            .order_by("name", "id")
            .values_list("id", "unit_id", "name")
        )
        if limit is not None:
            points = points[:limit]
        return [OpenRecord(id=pk, unit_id=unit_id, label=name) for pk, unit_id, name in points]

    def move(self, *, actor, moves: list[tuple[int, int, int]], note: str) -> None:
        points = ServicePoint.objects.select_for_update().in_bulk([record_id for record_id, _f, _t in moves])
        entries = []
        for record_id, from_unit, to_unit in moves:
            point = points.get(record_id)
            if point is None or point.unit_id != from_unit:
                raise refusal("record_changed")
            point.unit_id = to_unit
            entries.append(
                entry_for(
                    point,
                    "hand_over",
                    before={"unit_id": from_unit},
                    after={"unit_id": to_unit, "note": note},
                )
            )
        ServicePoint.objects.bulk_update(list(points.values()), ["unit"], batch_size=500)
        ServicePoint.objects.filter(pk__in=list(points)).update(updated_at=timezone.now())
        audit_write(actor=actor, entries=entries)
        transaction.on_commit(public_points.forget)  # bulk updates send no signal


HANDLERS = [ActiveServicePoints()]
