from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "kycuong.satisfaction"
    label = "satisfaction"
    verbose_name = _("Citizens' satisfaction")

    def ready(self) -> None:
        from kycuong.core.dashboard import register_module
        from kycuong.org.handover import register_handover

        register_module("satisfaction", "kycuong.satisfaction.dashboard.summary", order=50)
        register_handover("kycuong.satisfaction.handover")

        from kycuong.org.models import Staff, Unit

        from .models import Question, ServicePoint, SurveyTemplate
        from .selectors import public_points
        from .services import templates_in_force

        templates_in_force.forget_on_change(SurveyTemplate, Question)
        public_points.forget_on_change(ServicePoint, Unit, Staff, m2m=[ServicePoint.staff.through])
