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

    def home_section(self, request):
        """Grants proposed for successor units that wait for this administrator's confirmation."""
        from kycuong.core.scoping import has_any_grant

        from .models import ProposalState
        from .selectors import grant_proposal_list

        if not request.user.is_authenticated or not has_any_grant(
            request.user, "org.confirm_grant_carryover"
        ):
            return None
        pending = grant_proposal_list(actor=request.user, state=ProposalState.PROPOSED).count()
        if not pending:
            return None
        return {"template": "org/home_section.html", "pending": pending}
