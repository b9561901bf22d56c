from django.db.models import QuerySet

from .models import ApiToken, Grant, User


def my_grants(*, actor: User) -> QuerySet[Grant]:
    return (
        Grant.objects.active()
        .filter(user_id=actor.pk)
        .select_related("role", "unit")
        .order_by("unit__depth", "unit__name")
    )


def my_tokens(*, actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=actor.pk).select_related("user").order_by("-created_at")


def my_token_get(*, actor: User, token_id: int) -> ApiToken:
    from django.http import Http404
    from django.utils.translation import gettext as _

    token = ApiToken.objects.filter(user_id=actor.pk, pk=token_id).first()
    if token is None:
        raise Http404(_("Not found."))
    return token
