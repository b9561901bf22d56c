from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.forms import StyledFormMixin

from .models import LimitUnit, ProcessInstance


class DefinitionMetaForm(StyledFormMixin, forms.Form):
    owner_unit = forms.IntegerField(label=_("Owner unit"), widget=forms.Select)
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=300, required=False)
    scope = forms.CharField(label=_("Scope"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    valid_from = forms.DateField(label=_("Valid from"), required=False)


class ImportForm(DefinitionMetaForm):
    file = forms.FileField(label=_("BPMN file (.bpmn)"))


class StepRowForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Step"), max_length=200)
    role = forms.ChoiceField(label=_("Performer role"), required=False)
    unit_ref = forms.CharField(label=_("Performer unit"), required=False, max_length=40)
    limit_value = forms.IntegerField(label=_("Time limit"), min_value=1, max_value=2000)
    limit_unit = forms.ChoiceField(label=_("Counted in"), choices=LimitUnit.choices)
    escalate = forms.BooleanField(label=_("Escalate when late"), required=False, initial=True)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("anyone in the unit")), *roles]


class StartForm(StyledFormMixin, forms.Form):
    case_kind = forms.ChoiceField(label=_("Kind of case"), choices=ProcessInstance.CaseKind.choices)
    case_reference = forms.CharField(label=_("Case reference"), max_length=60)
    case_title = forms.CharField(label=_("Case"), max_length=300)


class CompleteForm(StyledFormMixin, forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.CharField(label=_("Decision"), required=False)


class ReturnForm(StyledFormMixin, forms.Form):
    to_step = forms.CharField(label=_("Back to step"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class PauseForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("What the citizen must provide"), max_length=500)


class InstanceFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    definition = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *ProcessInstance.State.choices]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("All")), ("early", _("Early")), ("on_time", _("On time")), ("late", _("Late"))],
    )
    completed_from = forms.DateField(label=_("Completed from"), required=False)
    completed_to = forms.DateField(label=_("Completed until"), required=False)


class StatsForm(StyledFormMixin, forms.Form):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    start_month = forms.IntegerField(label=_("From month"), required=False, min_value=1, max_value=12)
    end_month = forms.IntegerField(label=_("To month"), required=False, min_value=1, max_value=12)
    level = forms.ChoiceField(
        label=_("Count"),
        required=False,
        choices=[("instance", _("Whole processes")), ("step", _("Steps, by performer unit"))],
    )
    code = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
