"""Hand-over of open discipline cases to the successor of a reorganised unit (registered with
kycuong.org.handover): the unit of the person or organisation concerned, and the competent body, each on
its own, so that undo puts each back."""

from django.db.models import Q

from kycuong.org.handover import UnitFieldHandover

from .models import OPEN_CASE_STATUSES, Case

_OPEN = Q(status__in=OPEN_CASE_STATUSES)

HANDLERS = [
    UnitFieldHandover(
        key="discipline.case",
        label=Case._meta.verbose_name_plural,
        model=Case,
        field="subject_unit",
        open_filter=_OPEN,
        label_field="violation",
    ),
    UnitFieldHandover(
        key="discipline.case_competent_body",
        label=Case._meta.get_field("competent_unit").verbose_name,
        model=Case,
        field="competent_unit",
        open_filter=_OPEN,
        label_field="violation",
    ),
]
