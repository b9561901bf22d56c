"""Hand-over of open inspection recommendations to the successor of a reorganised unit (registered with
kycuong.org.handover): the unit responsible for carrying out a recommendation still open."""

from django.db.models import Q

from kycuong.org.handover import UnitFieldHandover

from .models import Recommendation, RecommendationStatus

HANDLERS = [
    UnitFieldHandover(
        key="inspections.recommendation",
        label=Recommendation._meta.verbose_name_plural,
        model=Recommendation,
        field="responsible_unit",
        open_filter=Q(status=RecommendationStatus.OPEN),
        label_field="text",
    )
]
