from base64 import b32encode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from kycuong.core.access import public_view, scoped_view
from kycuong.core.scoping import covers_every_unit

from . import lockout, selectors, services, two_factor
from .forms import CodeForm, LoginForm, TokenForm
from .models import User

login_view = public_view(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html", redirect_authenticated_user=True, authentication_form=LoginForm
    )
)
logout_view = public_view(auth_views.LogoutView.as_view())


@scoped_view
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_token = services.api_token_create(
                actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            form = TokenForm()
    context = {"form": form, "tokens": list(selectors.my_tokens(actor=request.user)), "new_token": new_token}
    return render(request, "accounts/tokens.html", context, status=422 if form.errors else 200)


@scoped_view
@require_POST
def token_revoke(request, token_id: int):
    token = selectors.my_token_get(actor=request.user, token_id=token_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


@scoped_view
def sign_in_locks(request):
    """Usernames and addresses locked after failed sign-ins; city-wide administrators unlock them."""
    if not covers_every_unit(request.user, "accounts.unlock_login"):
        raise Http404
    if request.method == "POST" and request.POST.get("reset_two_factor"):
        user = User.objects.filter(username=request.POST["reset_two_factor"].strip()).first()
        if user is None:
            messages.error(request, _("No account has this username."))
        else:
            removed = two_factor.two_factor_reset(actor=request.user, user=user)
            messages.success(
                request,
                _("Two-step sign-in reset for %(username)s (%(count)s authenticators removed).")
                % {"username": user.username, "count": removed},
            )
        return redirect("accounts:sign-in-locks")
    if request.method == "POST":
        cleared = lockout.login_unlock(
            actor=request.user,
            username=request.POST.get("username", ""),
            client=request.POST.get("client", ""),
        )
        if cleared:
            messages.success(request, _("Unlocked; %(count)s failed sign-ins cleared.") % {"count": cleared})
        else:
            messages.error(request, _("Nothing to unlock: no failed sign-ins were found."))
        return redirect("accounts:sign-in-locks")
    return render(request, "accounts/sign_in_locks.html", {"locks": lockout.locked_sign_ins()})


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@scoped_view
def two_factor_status(request):
    context = {
        "device": two_factor.confirmed_device(request.user),
        "required": two_factor.two_factor_required(request.user),
    }
    return render(request, "accounts/two_factor.html", context)


@scoped_view
def two_factor_setup(request):
    """Show a new secret as a QR code; the first code from the app confirms it."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.device_confirm(actor=request.user, request=request, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error("token", error.message_dict["token"])
        else:
            messages.success(
                request, _("Two-step sign-in is on. You will enter a code from the app at each sign-in.")
            )
            return redirect(_safe_next(request))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or request.method == "GET":
        device = two_factor.device_start(actor=request.user)
    context = {
        "form": form,
        "qr": two_factor.qr_svg(device),
        "secret": b32encode(device.bin_key).decode(),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "required": two_factor.two_factor_required(request.user),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=422 if form.errors else 200)


@scoped_view
def two_factor_verify(request):
    if not two_factor.needs_second_step(request):
        return redirect(_safe_next(request))
    if two_factor.confirmed_device(request.user) is None:
        return redirect("accounts:two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.second_step_verify(request=request, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error("token", error.message_dict["token"])
        else:
            return redirect(_safe_next(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "accounts/two_factor_verify.html", context, status=422 if form.errors else 200)


@scoped_view
@require_POST
def two_factor_disable(request):
    try:
        two_factor.two_factor_disable(actor=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Two-step sign-in is off."))
    return redirect("accounts:two-factor")
