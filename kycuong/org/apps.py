from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "kycuong.org"
    label = "org"
    verbose_name = _("Organisation")

    role_permissions = {
        "system_admin": [
            "org.view_reorganisationevent",
            "org.apply_reorganisation",
            "org.confirm_grant_carryover",
        ],
        "city_leader": ["org.view_reorganisationevent"],
        "unit_head": ["org.view_reorganisationevent"],
        "inspector": ["org.view_reorganisationevent"],
        "observer": ["org.view_reorganisationevent"],
    }
