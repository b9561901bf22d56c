"""Forms of the evaluation pages; the services check the rights and the rules, these only parse input."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.forms import StyledFormMixin
from kycuong.core.scoping import covered_units
from kycuong.org.models import Unit, UnitKind

from .models import CycleState, Frequency, Method

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _managed_units(actor):
    units = covered_units(actor, "evaluations.manage_cycle")
    queryset = Unit.objects.order_by("depth", "name")
    return queryset if units is None else queryset.filter(pk__in=units)


class CycleForm(StyledFormMixin, forms.Form):
    method_code = forms.ChoiceField(label=_("Method"))
    unit = forms.ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    units = forms.ModelMultipleChoiceField(
        label=_("Units evaluated"),
        queryset=Unit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    include_descendants = forms.BooleanField(label=_("Include sub-units"), required=False)
    outstanding_units = forms.ModelMultipleChoiceField(
        label=_("Units rated outstanding"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    period_start = forms.DateField(
        label=_("First day of the period"), widget=DATE_INPUT, input_formats=DATE_FORMATS
    )
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    self_assessment_due = forms.DateField(
        label=_("Self-assessment due"), required=False, widget=DATE_INPUT, input_formats=DATE_FORMATS
    )
    review_due = forms.DateField(
        label=_("Review due"), required=False, widget=DATE_INPUT, input_formats=DATE_FORMATS
    )
    approval_due = forms.DateField(
        label=_("Approval due"), required=False, widget=DATE_INPUT, input_formats=DATE_FORMATS
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        codes = {}
        for method in Method.objects.order_by("code", "-valid_from"):
            codes.setdefault(method.code, method.display_name)
        self.fields["method_code"].choices = list(codes.items())
        for name in ("unit", "units", "outstanding_units"):
            self.fields[name].queryset = _managed_units(actor)


class SelfAssessmentForm(StyledFormMixin, forms.Form):
    general_points = forms.DecimalField(
        label=_("General criteria"), required=False, min_value=0, max_value=100
    )
    note = forms.CharField(
        label=_("Self-assessment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReviewForm(StyledFormMixin, forms.Form):
    general_points = forms.DecimalField(
        label=_("General criteria"), required=False, min_value=0, max_value=100
    )
    bonus_points = forms.DecimalField(label=_("Bonus points"), required=False, min_value=0, max_value=100)
    adjustment = forms.DecimalField(label=_("Adjustment (±)"), required=False, min_value=-100, max_value=100)
    adjustment_reason = forms.CharField(label=_("Reason for the adjustment"), required=False, max_length=2000)
    manual_ground = forms.CharField(
        label=_("Grounds for “not completed” (ideology, ethics, discipline…)"),
        required=False,
        max_length=2000,
    )
    note = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class PublishForm(StyledFormMixin, forms.Form):
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)


class CycleFilterForm(StyledFormMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All"))] + list(CycleState.choices), required=False
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)


class ResultsForm(StyledFormMixin, forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    period_from = forms.DateField(
        label=_("From"), widget=DATE_INPUT, input_formats=DATE_FORMATS, required=False
    )
    period_to = forms.DateField(label=_("To"), widget=DATE_INPUT, input_formats=DATE_FORMATS, required=False)
    kind = forms.ChoiceField(label=_("Rank units of kind"), choices=UnitKind.choices, required=False)

    def period(self) -> tuple[datetime.date, datetime.date]:
        from kycuong.core.calendar import today

        data = self.cleaned_data if self.is_valid() else {}
        year = today().year
        return data.get("period_from") or datetime.date(year, 1, 1), data.get("period_to") or datetime.date(
            year, 12, 31
        )
