"""Hand-over of running process instances and their waiting steps to the successor of a reorganised unit
(registered with kycuong.org.handover). Figures are counted when an instance or step finishes, under its
unit then, so moving open ones keeps them exact."""

from django.db.models import Q

from kycuong.org.handover import UnitFieldHandover

from .models import ProcessInstance, ProcessStep

HANDLERS = [
    UnitFieldHandover(
        key="processes.instance",
        label=ProcessInstance._meta.verbose_name_plural,
        model=ProcessInstance,
        field="unit",
        open_filter=Q(state__in=[ProcessInstance.State.RUNNING, ProcessInstance.State.PAUSED]),
        label_field="case_title",
    ),
    UnitFieldHandover(
        key="processes.step",
        label=ProcessStep._meta.verbose_name_plural,
        model=ProcessStep,
        field="unit",
        open_filter=Q(state=ProcessStep.State.OPEN),
        label_field="name",
    ),
]
