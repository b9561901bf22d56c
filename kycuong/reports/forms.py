import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kycuong.core.calendar import today
from kycuong.core.dashboard import Period
from kycuong.core.forms import StyledFormMixin

from .models import ReportKind
from .selectors import month_period, quarter_period, review_period, year_period

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
MAX_ID = 2**31 - 1
PERIOD_KINDS = [
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("custom", _("From … to …")),
]


def _years():
    this_year = today().year
    return [(year, str(year)) for year in range(this_year + 1, this_year - 11, -1)]


class PeriodForm(StyledFormMixin, forms.Form):
    """The dashboard's unit and period. Invalid input is reported and the default period is shown."""

    unit = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_KINDS, required=False)
    year = forms.TypedChoiceField(
        label=_("Year"), coerce=int, choices=_years, required=False, empty_value=None
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=int,
        choices=[(m, f"{m:02d}") for m in range(1, 13)],
        required=False,
        empty_value=None,
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[(q, str(q)) for q in range(1, 5)],
        required=False,
        empty_value=None,
    )
    start = forms.DateField(label=_("From"), widget=DATE_INPUT, input_formats=DATE_FORMATS, required=False)
    end = forms.DateField(label=_("To"), widget=DATE_INPUT, input_formats=DATE_FORMATS, required=False)

    MAX_CUSTOM_DAYS = 366 * 10

    def clean(self):
        data = super().clean()
        kind = data.get("period") or "month"
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise ValidationError(_("Give both the first and the last day of the period."))
            if end < start:
                raise ValidationError(_("The end of the period cannot come before its start."))
            if (end - start).days > self.MAX_CUSTOM_DAYS:
                raise ValidationError(_("A period may cover at most ten years."))
        return data

    def chosen_period(self) -> Period:
        """The period asked for; last month when nothing (or nothing valid) was asked for."""
        day = today()
        last_month = (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        if not self.is_valid():
            return month_period(last_month.year, last_month.month)
        data = self.cleaned_data
        kind = data.get("period") or "month"
        year = data.get("year") or (last_month.year if kind == "month" else day.year)
        if kind == "year":
            return year_period(year)
        if kind == "quarter":
            return quarter_period(year, data.get("quarter") or (day.month - 1) // 3 + 1)
        if kind == "custom":
            return Period(data["start"], data["end"])
        return month_period(year, data.get("month") or last_month.month)


class ReportRequestForm(StyledFormMixin, forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=_years)
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=int,
        choices=[(m, f"{m:02d}") for m in range(1, 13)],
        required=False,
        empty_value=None,
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[(q, str(q)) for q in range(1, 5)],
        required=False,
        empty_value=None,
    )
    directive = forms.CharField(label=_("Directive"), max_length=200, required=False)
    issued_on = forms.DateField(
        label=_("Issued on"), widget=DATE_INPUT, input_formats=DATE_FORMATS, required=False
    )
    years = forms.IntegerField(label=_("Number of years"), min_value=1, max_value=10, required=False)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ReportKind.MONTH and not data.get("month"):
            self.add_error("month", _("Choose the month."))
        if kind == ReportKind.QUARTER and not data.get("quarter"):
            self.add_error("quarter", _("Choose the quarter."))
        if kind == ReportKind.REVIEW:
            if not (data.get("directive") or "").strip():
                self.add_error("directive", _("Name the directive that the review is about."))
            if not data.get("issued_on"):
                self.add_error("issued_on", _("Give the day the directive was issued."))
            if not data.get("years"):
                self.add_error("years", _("A review covers from 1 to 10 years."))
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        kind = data["kind"]
        if kind == ReportKind.MONTH:
            return month_period(data["year"], data["month"])
        if kind == ReportKind.QUARTER:
            return quarter_period(data["year"], data["quarter"])
        if kind == ReportKind.REVIEW:
            return review_period(data["issued_on"], data["years"])
        return year_period(data["year"])


class ThresholdForm(StyledFormMixin, forms.Form):
    key = forms.CharField(label=_("Figure key"), max_length=100)
    higher_is_better = forms.BooleanField(label=_("Higher is better"), required=False, initial=True)
    amber_at = forms.DecimalField(label=_("Amber from"), max_digits=16, decimal_places=2)
    red_at = forms.DecimalField(label=_("Red from"), max_digits=16, decimal_places=2)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE_INPUT, input_formats=DATE_FORMATS)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class SubscriptionForm(StyledFormMixin, forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    username = forms.CharField(
        label=_("Recipient's user name"),
        max_length=150,
        required=False,
        help_text=_("Leave empty to receive it yourself."),
    )
