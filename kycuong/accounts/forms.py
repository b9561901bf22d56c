from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kycuong.core.access import client_address

from .lockout import current_lock
from .services import MAX_TOKEN_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
    )


class LoginForm(AuthenticationForm):
    """The sign-in form; says so plainly when the username or the client address is locked."""

    locked_message = ""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            lock = current_lock(
                username=self.cleaned_data.get("username", ""), client=client_address(self.request)
            )
            if lock is not None:
                self.locked_message = lock.message
            raise


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from the app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
