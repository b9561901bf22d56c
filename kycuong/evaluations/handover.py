"""Hand-over of evaluation cycles still under way to the successor of their reorganised organising unit
(registered with kycuong.org.handover). Each evaluation keeps the unit the person was evaluated in."""

from django.db.models import Q

from kycuong.org.handover import UnitFieldHandover

from .models import Cycle, CycleState

HANDLERS = [
    UnitFieldHandover(
        key="evaluations.cycle",
        label=Cycle._meta.verbose_name_plural,
        model=Cycle,
        field="unit",
        open_filter=~Q(state__in=[CycleState.APPROVED, CycleState.PUBLISHED]),
        label_field="name",
    )
]
