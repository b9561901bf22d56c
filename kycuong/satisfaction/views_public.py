"""The public rating form: no log-in, small, no script. Everything else in this app is scoped."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kycuong.core.access import public_view
from kycuong.core.calendar import today

from . import abuse, selectors, services
from .forms import PublicRatingForm
from .models import FormKind


def _point_or_404(slug: str):
    point = selectors.public_service_point(slug)
    if point is None:
        raise Http404
    return point


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    else:
        for problem in error.messages:
            form.add_error(None, problem)


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
def rate(request, slug: str):
    point = _point_or_404(slug)
    template = services.template_for(point.form_kind, today())
    if template is None or not point.active:
        return render(request, "satisfaction/public_closed.html", {"point": point}, status=410)
    posted = request.method == "POST"
    form = PublicRatingForm(request.POST if posted else None, service_point=point, template=template)
    refused, status = None, 200
    if posted:
        client = abuse.client_address(request)
        raw_scores = {q.pk: request.POST.get(f"q{q.pk}") for q in form.questions}
        repeat = abuse.repeat_key(
            client,
            point.pk,
            raw_scores,
            request.POST.get("comment", ""),
            request.POST.get("receipt_code", ""),
        )
        try:
            abuse.check(
                honeypot=request.POST.get(abuse.HONEYPOT_FIELD, ""),
                client=client,
                service_point_id=point.pk,
                repeat=repeat,
            )
            if form.is_valid():
                data = form.cleaned_data
                staff_id = data.get("staff")
                services.rating_submit(
                    service_point=point,
                    template=template,
                    scores=form.scores(),
                    receipt_code=data["receipt_code"],
                    procedure=data["procedure"],
                    staff=point.staff.filter(pk=staff_id).first() if staff_id else None,
                    comment=data["comment"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    contact_email=data["contact_email"],
                )
                abuse.accepted(client=client, service_point_id=point.pk, repeat=repeat)
                return redirect("satisfaction:thanks", slug=point.slug)
            status = 422
        except abuse.Refused as refusal:
            refused, status = refusal.message, refusal.status
        except ValidationError as error:
            _add_errors(form, error)
            status = 422
    context = {"point": point, "template": template, "form": form, "refused": refused}
    return render(request, "satisfaction/public_form.html", context, status=status)


@public_view
@require_safe
def thanks(request, slug: str):
    point = _point_or_404(slug)
    return render(
        request,
        "satisfaction/public_thanks.html",
        {"point": point, "kiosk": point.form_kind == FormKind.KIOSK},
    )
