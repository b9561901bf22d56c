"""Hand-over of open tasks to the successor of a reorganised lead unit (registered with kycuong.org.handover).

Each task is saved on its own, so that Task.save moves its count in the tally exactly; each gets its audit
record and a line in its history.
"""

from django.db.models import Count
from django.utils.translation import gettext_lazy

from kycuong.core.audit import audit_write, entry_for
from kycuong.org.handover import ComparableSource, OpenRecord, refusal

from .models import OPEN_STATES, Task, TaskEvent


class OpenTasks:
    key = "tasks.task"
    label = Task._meta.verbose_name_plural

    def open_counts(self, unit_ids: list[int]) -> dict[int, int]:
        rows = (
            Task.objects.filter(lead_unit_id__in=unit_ids, state__in=OPEN_STATES)
            .order_by()
            .values("lead_unit_id")
            .annotate(total=Count("id"))
        )
        return {row["lead_unit_id"]: row["total"] for row in rows}

    def open_records(self, unit_ids: list[int], limit: int | None) -> list[OpenRecord]:
        tasks = (
            Task.objects.filter(lead_unit_id__in=unit_ids, state__in=OPEN_STATES)
            .order_by("due_date", "id")
            .values_list("id", "lead_unit_id", "title")
        )
        if limit is not None:
            tasks = tasks[:limit]
        return [OpenRecord(id=pk, unit_id=unit_id, label=title) for pk, unit_id, title in tasks]

    def move(self, *, actor, moves: list[tuple[int, int, int]], note: str) -> None:
        tasks = Task.objects.select_for_update().in_bulk([record_id for record_id, _f, _t in moves])
        entries, history = [], []
        user = actor if getattr(actor, "_meta", None) else None
        for record_id, from_unit, to_unit in moves:
            task = tasks.get(record_id)
            if task is None or task.lead_unit_id != from_unit:
                raise refusal("record_changed")
            task.lead_unit_id = to_unit
            task.version += 1
            task.save(update_fields=["lead_unit", "version", "updated_at"])
            entries.append(
                entry_for(
                    task, "hand_over", before={"lead_unit_id": from_unit}, after={"lead_unit_id": to_unit}
                )
            )
            history.append(TaskEvent(task=task, kind=TaskEvent.Kind.REASSIGNED, actor=user, note=note))
        TaskEvent.objects.bulk_create(history, batch_size=500)
        audit_write(actor=actor, entries=entries)


def _summary_figures(*, actor, unit_id: int, date_from, date_to) -> dict[str, int]:
    from dataclasses import asdict

    from .selectors import unit_task_summary

    summary = unit_task_summary(
        actor=actor, unit_id=unit_id, with_descendants=True, due_from=date_from, due_to=date_to
    )
    return asdict(summary)


HANDLERS = [OpenTasks()]
COMPARABLE = [
    ComparableSource(
        key="tasks",
        label=gettext_lazy("Task summary"),
        columns=[
            ("assigned", gettext_lazy("Assigned")),
            ("on_time", gettext_lazy("Done on time")),
            ("late", gettext_lazy("Done late")),
            ("overdue", gettext_lazy("Overdue")),
            ("in_progress", gettext_lazy("In progress")),
            ("cancelled", gettext_lazy("Cancelled")),
        ],
        figures=_summary_figures,
    )
]
