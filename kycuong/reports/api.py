"""API of the reports app, mounted under /api/v1 by kycuong.api: the dashboard's figures, reports made in the
background and their files, thresholds, subscriptions."""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api_support import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Page, paginate
from kycuong.core.dashboard import Period
from kycuong.core.files import verified_response
from kycuong.core.scoping import has_any_grant

from . import selectors, services
from .forms import PeriodForm
from .models import ReportKind, ReportState

router = Router(tags=["reports"])
Limit = Annotated[int, Field(50, ge=1, le=200)]
Offset = Annotated[int, Field(0, ge=0)]


class DashboardFigureOut(Schema):
    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str
    higher_is_better: bool
    drill_url: str
    signal: Literal["green", "amber", "red"] | None


class RankOut(Schema):
    unit_id: int
    unit_name: str
    value: float
    signal: Literal["green", "amber", "red"] | None


class ModuleOut(Schema):
    module: str
    title: str
    available: bool
    headline: str
    figures: list[DashboardFigureOut]
    ranking: list[RankOut]
    series: list[tuple[str, float]]
    sentences: list[str]


class AttentionOut(Schema):
    unit_id: int
    unit_name: str
    module: str
    figure: str
    value: float
    signal: Literal["green", "amber", "red"]


class DashboardOut(Schema):
    unit_id: int
    unit_name: str
    period_start: datetime.date
    period_end: datetime.date
    previous_start: datetime.date
    previous_end: datetime.date
    modules: list[ModuleOut]
    attention: list[AttentionOut]


class PeriodIn(Schema):
    unit_id: int | None = None
    period: Literal["month", "quarter", "year", "custom"] = "month"
    year: int | None = Field(None, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    quarter: int | None = Field(None, ge=1, le=4)
    start: datetime.date | None = None
    end: datetime.date | None = None


def _number(value) -> float | None:
    return None if value is None else float(value)


def _period(data: PeriodIn) -> Period:
    form = PeriodForm(
        {key: value for key, value in data.dict().items() if value is not None and key != "unit_id"}
    )
    if data.period == "custom" and not form.is_valid():
        raise ValidationError({"period": form.non_field_errors() or [str(e) for e in form.errors.values()]})
    return form.chosen_period()


@router.get(
    "/dashboard",
    response={200: DashboardOut, **READ_ERRORS, 422: LIST_ERRORS[422]},
    summary="The leadership dashboard of a unit (with its sub-units) for a period",
)
def dashboard(request, filters: Query[PeriodIn]):
    if filters.unit_id is not None:
        unit = selectors.dashboard_unit_get(actor=request.user, unit_id=filters.unit_id)
    else:
        unit = selectors.dashboard_units(actor=request.user).first()
        if unit is None:
            raise Http404
    board = selectors.dashboard_build(actor=request.user, unit=unit, period=_period(filters))
    modules = []
    for card in board.cards:
        chart = card.chart
        modules.append(
            {
                "module": card.summary.module,
                "title": str(card.summary.title),
                "available": not card.error,
                "headline": card.summary.headline,
                "figures": [
                    {
                        "key": view.figure.key,
                        "label": str(view.figure.label),
                        "value": _number(view.figure.value),
                        "previous": _number(view.figure.previous),
                        "unit": view.figure.unit,
                        "higher_is_better": view.figure.higher_is_better,
                        "drill_url": view.figure.drill_url,
                        "signal": view.signal,
                    }
                    for view in card.figures
                ],
                "ranking": [
                    {
                        "unit_id": row.unit.pk,
                        "unit_name": row.unit.name,
                        "value": float(row.value),
                        "signal": row.signal,
                    }
                    for row in card.ranking
                ],
                "series": [(label, float(value)) for label, value in chart.series] if chart else [],
                "sentences": [str(sentence) for sentence in card.summary.sentences],
            }
        )
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "period_start": board.period.start,
        "period_end": board.period.end,
        "previous_start": board.previous.start,
        "previous_end": board.previous.end,
        "modules": modules,
        "attention": [
            {
                "unit_id": item.unit.pk,
                "unit_name": item.unit.name,
                "module": item.module,
                "figure": item.label,
                "value": float(item.value),
                "signal": item.signal,
            }
            for item in board.attention
        ],
    }


class ReportFileOut(Schema):
    id: int
    format: str
    name: str
    size: int
    sha256: str
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("api:download_report_file", args=[obj.pk])


class GeneratedReportOut(Schema):
    id: int
    unit_id: int
    kind: ReportKind
    title: str
    period_start: datetime.date
    period_end: datetime.date
    directive: str
    years: int | None
    state: ReportState
    progress: int
    requested_by_id: int
    requested_at: datetime.datetime
    finished_at: datetime.datetime | None
    files: list[ReportFileOut]

    @staticmethod
    def resolve_files(obj) -> list:
        return list(obj.files.all())


class ReportPage(Page):
    items: list[GeneratedReportOut]


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int
    kind: ReportKind
    year: int | None = Field(None, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    quarter: int | None = Field(None, ge=1, le=4)
    directive: str = Field("", max_length=200)
    issued_on: datetime.date | None = None
    years: int | None = Field(None, ge=1, le=10)


def _report_period(data: ReportIn) -> Period:
    errors = {}
    if data.kind == ReportKind.REVIEW:
        if data.issued_on is None:
            errors["issued_on"] = _required()
        if data.years is None:
            errors["years"] = _required()
    else:
        if data.year is None:
            errors["year"] = _required()
        if data.kind == ReportKind.MONTH and data.month is None:
            errors["month"] = _required()
        if data.kind == ReportKind.QUARTER and data.quarter is None:
            errors["quarter"] = _required()
    if errors:
        raise ValidationError(errors)
    if data.kind == ReportKind.REVIEW:
        return selectors.review_period(data.issued_on, data.years)
    if data.kind == ReportKind.MONTH:
        return selectors.month_period(data.year, data.month)
    if data.kind == ReportKind.QUARTER:
        return selectors.quarter_period(data.year, data.quarter)
    return selectors.year_period(data.year)


def _required() -> str:
    from django.utils.translation import gettext as _

    return _("This field is required.")


@router.get("/reports", response={200: ReportPage, **LIST_ERRORS}, summary="Reports made in your scope")
def list_reports(request, unit_id: int | None = None, limit: Limit = 50, offset: Offset = 0):
    reports = selectors.report_list(actor=request.user, unit_id=unit_id).prefetch_related("files")
    items, page = paginate(reports, limit=limit, offset=offset)
    return {"items": items, **page}


@router.post(
    "/reports",
    response={201: GeneratedReportOut, **WRITE_ERRORS},
    summary="Ask for a report; it is made in the background (poll it for its progress)",
)
def create_report(request, payload: ReportIn):
    unit = selectors.dashboard_unit_get(actor=request.user, unit_id=payload.unit_id)
    report = services.report_request(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        period=_report_period(payload),
        directive=payload.directive,
        years=payload.years,
    )
    return Status(201, selectors.report_get(actor=request.user, report_id=report.pk))


@router.get(
    "/reports/{int:report_id}", response={200: GeneratedReportOut, **READ_ERRORS}, summary="One report"
)
def get_report(request, report_id: int):
    return selectors.report_get(actor=request.user, report_id=report_id)


@router.get(
    "/reports/files/{int:file_id}",
    response={200: None, **READ_ERRORS},
    summary="Download a report's file (its checksum is verified first)",
    url_name="download_report_file",
)
def download_report_file(request, file_id: int):
    return verified_response(selectors.report_file_get(actor=request.user, file_id=file_id))


class ThresholdOut(Schema):
    id: int
    key: str
    higher_is_better: bool
    amber_at: Decimal
    red_at: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None
    note: str


class ThresholdIn(Schema):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(..., min_length=1, max_length=100)
    higher_is_better: bool = True
    amber_at: Decimal = Field(..., max_digits=16, decimal_places=2)
    red_at: Decimal = Field(..., max_digits=16, decimal_places=2)
    valid_from: datetime.date
    note: str = Field("", max_length=300)


@router.get(
    "/reports/thresholds",
    response={200: list[ThresholdOut], **READ_ERRORS},
    summary="The red/amber/green thresholds of the dashboard's figures, with their validity",
)
def list_thresholds(request):
    if not has_any_grant(request.user, selectors.VIEW_DASHBOARD):
        raise Http404
    return list(selectors.threshold_list())


@router.post(
    "/reports/thresholds",
    response={201: ThresholdOut, **WRITE_ERRORS},
    summary="New limits for a figure, from a day on (system administrators)",
)
def create_threshold(request, payload: ThresholdIn):
    if not has_any_grant(request.user, selectors.VIEW_DASHBOARD):
        raise Http404
    return Status(201, services.threshold_create(actor=request.user, **payload.dict()))


class SubscriptionOut(Schema):
    id: int
    unit_id: int
    user_id: int
    active: bool
    last_month_sent: datetime.date | None


class SubscriptionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit_id: int
    user_id: int | None = None


@router.get(
    "/reports/subscriptions",
    response={200: list[SubscriptionOut], **LIST_ERRORS},
    summary="Who receives which unit's monthly report by e-mail",
)
def list_subscriptions(request):
    return list(selectors.subscription_list(actor=request.user)[:500])


@router.post(
    "/reports/subscriptions",
    response={201: SubscriptionOut, **WRITE_ERRORS},
    summary="Send a unit's monthly report to a user (yourself when no user is given)",
)
def create_subscription(request, payload: SubscriptionIn):
    from kycuong.accounts.models import User

    unit = selectors.dashboard_unit_get(actor=request.user, unit_id=payload.unit_id)
    user = request.user
    if payload.user_id is not None:
        user = User.objects.filter(pk=payload.user_id, is_active=True).first()
        if user is None:
            raise ValidationError({"user_id": _required()})
    return Status(201, services.subscription_create(actor=request.user, unit=unit, user=user))


@router.post(
    "/reports/subscriptions/{int:subscription_id}/cancel",
    response={200: SubscriptionOut, **WRITE_ERRORS},
    summary="Stop a monthly report",
)
def cancel_subscription(request, subscription_id: int):
    subscription = selectors.subscription_get(actor=request.user, subscription_id=subscription_id)
    return services.subscription_cancel(actor=request.user, subscription=subscription)
