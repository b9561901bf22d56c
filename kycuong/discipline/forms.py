"""Forms of the discipline pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.forms import StyledFormMixin
from kycuong.core.scoping import restrict
from kycuong.inspections.forms import StaffChoice, date_field, visible_staff, visible_units
from kycuong.org.models import Staff, Unit

from .models import CaseStatus, DisciplineForm, Regime, Severity
from .services import HANDLE_CASE


class FormChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} ({obj.get_regime_display()}, {obj.legal_basis})"


class CaseForm(StyledFormMixin, forms.Form):
    regime = forms.ChoiceField(label=_("Applies to"), choices=Regime.choices)
    competent_unit = forms.ModelChoiceField(label=_("Competent body"), queryset=Unit.objects.none())
    unit = forms.ModelChoiceField(label=_("Organisation"), queryset=Unit.objects.none(), required=False)
    staff = StaffChoice(label=_("Individual"), queryset=Staff.objects.none(), required=False)
    violation = forms.CharField(label=_("Violation"), widget=forms.Textarea(attrs={"rows": 3}))
    committed_on = date_field(_("Violation committed on"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    proposed_form = FormChoice(
        label=_("Form considered"), queryset=DisciplineForm.objects.all(), required=False
    )
    opened_on = date_field(_("Opened on"), required=False)
    finding = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competent_unit"].queryset = restrict(Unit.objects.all(), actor, HANDLE_CASE).order_by(
            "depth", "name"
        )
        self.fields["unit"].queryset = visible_units(actor)
        self.fields["staff"].queryset = visible_staff(actor)


class ProposeForm(StyledFormMixin, forms.Form):
    form = FormChoice(label=_("Proposed form"), queryset=DisciplineForm.objects.all())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    on = date_field(_("Date"), required=False)

    def __init__(self, *args, regime=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regime:
            self.fields["form"].queryset = DisciplineForm.objects.filter(regime=regime)


class DecideForm(StyledFormMixin, forms.Form):
    form = FormChoice(label=_("Form of discipline"), queryset=DisciplineForm.objects.all())
    number = forms.CharField(label=_("Decision number"), max_length=60)
    signed_on = date_field(_("Signed on"))
    effective_from = date_field(_("Effective from"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, regime=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regime:
            self.fields["form"].queryset = DisciplineForm.objects.filter(regime=regime)


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)
    on = date_field(_("Date"), required=False)


class AppealForm(StyledFormMixin, forms.Form):
    lodged_on = date_field(_("Lodged on"))
    grounds = forms.CharField(label=_("Grounds"), max_length=2000)


class AppealDecideForm(StyledFormMixin, forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Outcome"),
        choices=[("1", _("Decision upheld")), ("0", _("Decision annulled"))],
        coerce=lambda value: value == "1",
    )
    decided_on = date_field(_("Decided on"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class NoticeForm(StyledFormMixin, forms.Form):
    notified_on = date_field(_("Notified on"))
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)


class CaseFilterForm(StyledFormMixin, forms.Form):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *CaseStatus.choices], required=False)
    regime = forms.ChoiceField(label=_("Applies to"), choices=[("", "—"), *Regime.choices], required=False)
    overdue = forms.BooleanField(label=_("Past the handling deadline"), required=False)
