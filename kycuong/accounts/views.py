from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kycuong.core.access import public_view, scoped_view
from kycuong.core.scoping import covers_every_unit

from . import lockout, selectors, services
from .forms import LoginForm, TokenForm

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
