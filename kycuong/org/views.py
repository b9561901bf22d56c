from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kycuong.core.access import is_htmx, scoped_view
from kycuong.core.pagination import page_of
from kycuong.core.scoping import can, has_any_grant

from . import forms, reorganisation, selectors
from .models import EventState, ProposalState


@scoped_view
def unit_tree(request):
    roots = list(selectors.unit_roots(actor=request.user).order_by("name"))
    return render(request, "org/unit_tree.html", {"roots": roots})


@scoped_view
def unit_children(request, unit_id: int):
    """The branch under one unit, loaded by htmx when a tree node is opened."""
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    children = list(selectors.unit_list(actor=request.user, parent_id=unit.pk).order_by("name"))
    return render(request, "org/unit_tree.html#branch", {"units": children, "parent": unit})


@scoped_view
def unit_detail(request, unit_id: int):
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    q = request.GET.get("q", "").strip()
    staff_page = page_of(
        selectors.staff_list(actor=request.user, q=q, unit_id=unit.pk), request.GET.get("page")
    )
    context = {
        "unit": unit,
        "ancestors": selectors.unit_ancestors(actor=request.user, unit=unit),
        "children": list(selectors.unit_list(actor=request.user, parent_id=unit.pk).order_by("name")),
        "posts": list(selectors.post_list(actor=request.user, unit_id=unit.pk, current_only=True)),
        "staff_page": staff_page,
        "q": q,
        "counts": selectors.unit_summary_counts(actor=request.user, unit=unit),
        "events": list(selectors.event_list(actor=request.user, unit_id=unit.pk)[:10]),
    }
    if is_htmx(request):
        return render(request, "org/unit_detail.html#staff", context)
    return render(request, "org/unit_detail.html", context)


@scoped_view
def staff_detail(request, staff_id: int):
    staff = selectors.staff_get(actor=request.user, staff_id=staff_id)
    context = {
        "staff": staff,
        "posts": list(staff.posts.all()),
        "can_export": can(request.user, "org.change_staff", staff.unit_id),
    }
    return render(request, "org/staff_detail.html", context)


# -- reorganisation ----------------------------------------------------------------------------------------


def _redirect_with(request, message: str, url: str, *, error: bool = False):
    (messages.error if error else messages.success)(request, message)
    return redirect(url)


@scoped_view
def event_list(request):
    state = request.GET.get("state") or None
    if state not in EventState.values:
        state = None
    events_page = page_of(selectors.event_list(actor=request.user, state=state), request.GET.get("page"))
    context = {
        "page": events_page,
        "state": state,
        "states": EventState.choices,
        "can_prepare": has_any_grant(request.user, reorganisation.APPLY),
        "can_confirm": has_any_grant(request.user, reorganisation.CONFIRM_GRANTS),
    }
    return render(request, "org/event_list.html", context)


@scoped_view
def event_create(request):
    if not has_any_grant(request.user, reorganisation.APPLY):
        raise Http404
    visible = selectors.unit_list(actor=request.user, include_expired=True)
    form = forms.EventForm(request.POST or None, visible_units=visible)
    if request.method == "POST" and form.is_valid():
        try:
            event = reorganisation.event_create(actor=request.user, **form.event_arguments())
        except ValidationError as error:
            _add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            return _redirect_with(request, _("The event is prepared: check its preview."), event_url(event))
    return render(request, "org/event_form.html", {"form": form})


def _add_errors(form, error) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def event_url(event) -> str:
    from django.urls import reverse

    return reverse("org:event-detail", args=[event.pk])


@scoped_view
def event_detail(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    preview = reorganisation.event_preview(event=event) if event.state == EventState.DRAFT else None
    links_page = page_of(selectors.event_links(event=event), request.GET.get("page"), per_page=100)
    context = {
        "event": event,
        "links_page": links_page,
        "preview": preview,
        "can_apply": can(request.user, reorganisation.APPLY, event.scope_unit_id),
        "can_undo": event.state == EventState.APPLIED and reorganisation.event_can_undo(event),
        "pending_grants": event.grant_proposals.filter(state=ProposalState.PROPOSED).count(),
    }
    return render(request, "org/event_detail.html", context)


@require_POST
@scoped_view
def event_choose(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    successor = request.POST.get("successor", "")
    record = request.POST.get("record", "")
    try:
        reorganisation.event_set_choice(
            actor=request.user,
            event=event,
            handler_key=request.POST.get("handler", ""),
            record_id=int(record) if record.isdigit() else 0,
            successor_unit_id=int(successor) if successor.lstrip("-").isdigit() else None,
        )
    except ValidationError as error:
        return _redirect_with(request, " ".join(error.messages), event_url(event), error=True)
    return _redirect_with(request, _("Choice saved."), event_url(event))


@require_POST
@scoped_view
def event_apply(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    try:
        reorganisation.event_apply(actor=request.user, event=event)
    except ValidationError as error:
        return _redirect_with(request, " ".join(error.messages), event_url(event), error=True)
    return _redirect_with(request, _("The reorganisation is applied."), event_url(event))


@require_POST
@scoped_view
def event_undo(request, event_id: int):
    event = selectors.event_get(actor=request.user, event_id=event_id)
    try:
        reorganisation.event_undo(actor=request.user, event=event)
    except ValidationError as error:
        return _redirect_with(request, " ".join(error.messages), event_url(event), error=True)
    return _redirect_with(request, _("The reorganisation is undone."), event_url(event))


@scoped_view
def grant_proposals(request):
    if not has_any_grant(request.user, reorganisation.CONFIRM_GRANTS):
        raise Http404
    event_id = request.GET.get("event", "")
    state = request.GET.get("state", ProposalState.PROPOSED)
    if state not in ProposalState.values:
        state = ProposalState.PROPOSED
    proposals = selectors.grant_proposal_list(
        actor=request.user, event_id=int(event_id) if event_id.isdigit() else None, state=state
    )
    context = {
        "page": page_of(proposals, request.GET.get("page")),
        "state": state,
        "states": ProposalState.choices,
        "event_id": event_id if event_id.isdigit() else "",
    }
    return render(request, "org/grant_proposals.html", context)


@require_POST
@scoped_view
def grant_proposal_decide(request, proposal_id: int):
    from django.urls import reverse

    proposal = selectors.grant_proposal_get(actor=request.user, proposal_id=proposal_id)
    confirm = request.POST.get("decision") == "confirm"
    back = reverse("org:grant-proposals") + f"?event={proposal.event_id}"
    try:
        reorganisation.grant_proposal_decide(actor=request.user, proposal=proposal, confirm=confirm)
    except ValidationError as error:
        return _redirect_with(request, " ".join(error.messages), back, error=True)
    message = _("Grant created.") if confirm else _("Proposal rejected.")
    return _redirect_with(request, message, back)


@scoped_view
def unit_comparable(request, unit_id: int):
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    date_from, date_to = forms.default_period()
    form = forms.PeriodForm(request.GET or {"date_from": date_from, "date_to": date_to})
    results = []
    if form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        results = selectors.unit_comparable(
            actor=request.user, unit=unit, date_from=date_from, date_to=date_to
        )
    context = {
        "unit": unit,
        "form": form,
        "results": results,
        "date_from": date_from,
        "date_to": date_to,
        "predecessors": selectors.comparable_predecessors(unit=unit),
    }
    return render(request, "org/unit_comparable.html", context)
