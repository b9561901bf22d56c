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

        from django.db.models.signals import post_delete, post_save

        from .models import Question, SurveyTemplate
        from .services import survey_template_changed

        for model in (SurveyTemplate, Question):
            post_save.connect(survey_template_changed, sender=model, dispatch_uid=f"template-cache-{model}")
            post_delete.connect(survey_template_changed, sender=model, dispatch_uid=f"template-del-{model}")
