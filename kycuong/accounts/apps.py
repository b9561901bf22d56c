from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kycuong.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from kycuong.org.handover import register_handover

        from . import signals  # noqa: F401

        register_handover("kycuong.accounts.handover")
