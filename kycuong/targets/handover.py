"""Hand-over of indicators and public investment projects to the successor of a reorganised unit (registered
with kycuong.org.handover).

An indicator in force moves its owner unit; targets and actuals keep the unit they were set for. A project
moves its responsible unit with its pre-aggregates, as `services.project_update` does, for all the
projects at once (`services.projects_move_aggregates`).
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kycuong.core.audit import audit_write, entry_for
from kycuong.org.handover import OpenRecord, refusal

from .models import Indicator, Project
from .services import projects_move_aggregates


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
        by_target: dict[int, list[int]] = {}
        for record_id, from_unit, to_unit in moves:
            instance = objects.get(record_id)
            if instance is None or getattr(instance, column) != from_unit:
                raise refusal("record_changed")
            setattr(instance, column, to_unit)
            by_target.setdefault(to_unit, []).append(record_id)
            entries.append(
                entry_for(
                    instance, "hand_over", before={column: from_unit}, after={column: to_unit, "note": note}
                )
            )
        now = timezone.now()
        for unit_id, ids in by_target.items():
            for start in range(0, len(ids), 500):
                self.model.objects.filter(pk__in=ids[start : start + 500]).update(
                    **{column: unit_id, "updated_at": now}
                )
        self.after_move(moves)
        audit_write(actor=actor, entries=entries)

    def after_move(self, moves: list[tuple[int, int, int]]) -> None:
        pass


class Projects(_UnitField):
    key = "targets.project"
    label = gettext_lazy("Projects")

    def after_move(self, moves: list[tuple[int, int, int]]) -> None:
        projects_move_aggregates({record_id: (old, new) for record_id, old, new in moves})


class Indicators(_UnitField):
    key = "targets.indicator"
    label = Indicator._meta.verbose_name_plural
    model = Indicator
    field = "owner_unit"

    def _open(self, unit_ids: list[int]):
        return super()._open(unit_ids).filter(_in_force())


HANDLERS = [Indicators(), Projects()]
