from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .services import MAX_TOKEN_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
    )
