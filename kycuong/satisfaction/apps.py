from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "kycuong.satisfaction"
    label = "satisfaction"
    verbose_name = _("Citizens' satisfaction")
