"""Hand-over of indicators and public investment projects to the successor of a reorganised unit (registered
with kycuong.org.handover).

An indicator in force moves its owner unit; targets and actuals keep the unit they were set for. A project
moves its responsible unit exactly as `services.project_update` does, pre-aggregates included.
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kycuong.core.audit import audit_write, entry_for
from kycuong.org.handover import OpenRecord, refusal

from .models import Indicator, Project
from .services import _move_aggregates


def _in_force() -> Q:
    return Q(valid_to__isnull=True) | Q(valid_to__gte=timezone.localdate())


class _UnitField:
    model = Project
    field = "responsible_unit"
    label_field = "name"

    def _open(self, unit_ids: list[int]):
        return self.model.objects.filter(**{f"{self.field}_id__in": unit_ids})

    def open_counts(self, unit_ids: list[int]) -> dict[int, int]:
        column = f"{self.field}_id"
        rows = self._open(unit_ids).order_by().values(column).annotate(total=Count("id"))
        return {row[column]: row["total"] for row in rows}

    def open_records(self, unit_ids: list[int], limit: int | None) -> list[OpenRecord]:
        rows = (
            self._open(unit_ids)
            .order_by(self.label_field, "id")
            .values_list("id", f"{self.field}_id", "name")
        )
        if limit is not None:
            rows = rows[:limit]
        return [OpenRecord(id=pk, unit_id=unit_id, label=name) for pk, unit_id, name in rows]

    def move(self, *, actor, moves: list[tuple[int, int, int]], note: str) -> None:
        column = f"{self.field}_id"
        objects = self.model.objects.select_for_update().in_bulk([record_id for record_id, _f, _t in moves])
        entries = []
        for record_id, from_unit, to_unit in moves:
            instance = objects.get(record_id)
            if instance is None or getattr(instance, column) != from_unit:
                raise refusal("record_changed")
            setattr(instance, column, to_unit)
            instance.save(update_fields=[self.field, "updated_at"])
            self.after_move(instance, from_unit)
            entries.append(
                entry_for(
                    instance, "hand_over", before={column: from_unit}, after={column: to_unit, "note": note}
                )
            )
        audit_write(actor=actor, entries=entries)

    def after_move(self, instance, from_unit: int) -> None:
        pass


class Projects(_UnitField):
    key = "targets.project"
    label = gettext_lazy("Projects")

    def after_move(self, instance, from_unit: int) -> None:
        _move_aggregates(instance, from_unit)


class Indicators(_UnitField):
    key = "targets.indicator"
    label = Indicator._meta.verbose_name_plural
    model = Indicator
    field = "owner_unit"

    def _open(self, unit_ids: list[int]):
        return super()._open(unit_ids).filter(_in_force())


HANDLERS = [Indicators(), Projects()]
