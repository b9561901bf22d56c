"""A person's account, roles and tokens (never secrets), for their data export (core.personal_export)."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, Grant, User


def collect(staff) -> dict[str, list[dict]]:
    user = User.objects.filter(staff=staff).first()
    if user is None:
        return {"account": []}
    account = {
        "username": user.username,
        "email": user.email,
        "joined": user.date_joined,
        "last_login": user.last_login,
        "two_step_sign_in": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    }
    grants = [
        {
            "role": grant.role.display_name,
            "unit": grant.unit.display_name,
            "with_sub_units": grant.include_descendants,
            "from": grant.valid_from,
            "to": grant.valid_to,
        }
        for grant in Grant.objects.filter(user=user).select_related("role", "unit")
    ]
    tokens = [
        {
            "name": token.name,
            "created": token.created_at,
            "expires": token.expires_at,
            "revoked": token.revoked_at,
        }
        for token in ApiToken.objects.filter(user=user)
    ]
    return {"account": [account], "grants": grants, "api_tokens": tokens}
