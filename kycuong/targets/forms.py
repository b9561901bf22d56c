"""Forms of the targets pages: filters, plan revisions, disbursements, follow-up tasks, figures, imports."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.calendar import today
from kycuong.core.forms import StyledFormMixin

from . import services

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _year_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, **kwargs)


class YearUnitForm(StyledFormMixin, forms.Form):
    year = _year_field(required=False)
    unit = forms.IntegerField(label=_("Unit"), required=False, widget=forms.HiddenInput)

    def year_or_current(self) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return today().year

    def unit_id(self) -> int | None:
        return self.cleaned_data.get("unit") if self.is_valid() else None


class ProjectFilterForm(YearUnitForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    lagging = forms.BooleanField(label=_("Lagging only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("code", _("Project code")),
            ("rate", _("Lowest rate first")),
            ("-plan", _("Largest plan first")),
        ],
    )


class PlanForm(StyledFormMixin, forms.Form):
    year = _year_field()
    assigned_amount = forms.IntegerField(
        label=_("Assigned by the Prime Minister (VND)"), min_value=0, max_value=services.MAX_AMOUNT
    )
    local_amount = forms.IntegerField(
        label=_("Local additions (VND)"), min_value=0, max_value=services.MAX_AMOUNT, initial=0
    )
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE_INPUT, input_formats=DATE_FORMATS)
    decision = forms.CharField(label=_("Decision"), max_length=100, required=False)


class DisbursementForm(StyledFormMixin, forms.Form):
    plan_year = _year_field()
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE_INPUT, input_formats=DATE_FORMATS)
    amount = forms.IntegerField(label=_("Amount (VND)"), min_value=1, max_value=services.MAX_AMOUNT)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class FollowUpForm(StyledFormMixin, forms.Form):
    due_working_days = forms.IntegerField(
        label=_("Due in working days"), min_value=1, max_value=365, initial=10
    )


class ActualForm(StyledFormMixin, forms.Form):
    year = _year_field()
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)
    source = forms.CharField(label=_("Source"), max_length=300, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class TargetForm(StyledFormMixin, forms.Form):
    year = _year_field()
    target_min = forms.DecimalField(label=_("At least"), max_digits=20, decimal_places=4, required=False)
    target_max = forms.DecimalField(label=_("At most"), max_digits=20, decimal_places=4, required=False)
    valid_from = forms.DateField(
        label=_("In force from"), widget=DATE_INPUT, input_formats=DATE_FORMATS, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
