"""Forms of the inspection pages. Unit and staff choices are limited to what the actor may see."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.calendar import today
from kycuong.core.forms import StyledFormMixin
from kycuong.core.scoping import restrict
from kycuong.org.models import Staff, Unit

from .models import InspectionKind, KindCategory, RecommendationStatus, Status, SubjectResult
from .services import MANAGE

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_INPUT, input_formats=DATE_FORMATS, **kwargs)


def managed_units(actor):
    return restrict(Unit.objects.all(), actor, MANAGE).order_by("depth", "name")


def visible_units(actor):
    return restrict(Unit.objects.all(), actor, "org.view_unit").order_by("depth", "name")


def visible_staff(actor):
    return (
        restrict(Staff.objects.all(), actor, "org.view_staff")
        .select_related("unit")
        .order_by("full_name", "id")
    )


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.unit.name})"


class StaffMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.unit.name})"


class PeriodForm(StyledFormMixin, forms.Form):
    """A unit (with descendants) and a period; by default the current year."""

    unit = forms.IntegerField(label=_("Unit"), required=False, widget=forms.HiddenInput)
    start = date_field(_("From"), required=False)
    end = date_field(_("To"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end cannot be before the start."))
        return data

    def period(self) -> tuple[datetime.date, datetime.date]:
        year = today().year
        data = self.cleaned_data if self.is_valid() else {}
        return (
            data.get("start") or datetime.date(year, 1, 1),
            data.get("end") or datetime.date(year, 12, 31),
        )

    def unit_id(self) -> int | None:
        return self.cleaned_data.get("unit") if self.is_valid() else None


class InspectionFilterForm(PeriodForm):
    kind = forms.ModelChoiceField(label=_("Kind"), queryset=InspectionKind.objects.all(), required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "—"), *KindCategory.choices], required=False
    )
    planned = forms.ChoiceField(
        label=_("Planned"), choices=[("", "—"), ("1", _("Planned")), ("0", _("Unannounced"))], required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *Status.choices], required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)


class PlanForm(StyledFormMixin, forms.Form):
    unit = forms.ModelChoiceField(label=_("Body"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    number = forms.CharField(label=_("Number"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=300)
    approved_on = date_field(_("Approved on"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = managed_units(actor)


class PeopleFieldsMixin:
    def setup_people(self, actor):
        self.fields["subject_units"].queryset = visible_units(actor)
        staff = visible_staff(actor)
        for name in ("subject_staff", "team_members", "team_lead"):
            if name in self.fields:
                self.fields[name].queryset = staff


class PlanItemForm(PeopleFieldsMixin, StyledFormMixin, forms.Form):
    kind = forms.ModelChoiceField(label=_("Kind"), queryset=InspectionKind.objects.all())
    topic = forms.CharField(label=_("Topic"), max_length=500)
    starts_on = date_field(_("From"))
    ends_on = date_field(_("To"))
    subject_units = forms.ModelMultipleChoiceField(
        label=_("Organisations"), queryset=Unit.objects.none(), required=False
    )
    subject_staff = StaffMultipleChoice(label=_("Individuals"), queryset=Staff.objects.none(), required=False)
    team_lead = StaffChoice(label=_("Team lead"), queryset=Staff.objects.none(), required=False)
    team_members = StaffMultipleChoice(label=_("Team members"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_people(actor)


class InspectionForm(PeopleFieldsMixin, StyledFormMixin, forms.Form):
    """An unannounced inspection (not in a plan)."""

    kind = forms.ModelChoiceField(label=_("Kind"), queryset=InspectionKind.objects.all())
    deciding_unit = forms.ModelChoiceField(label=_("Deciding body"), queryset=Unit.objects.none())
    topic = forms.CharField(label=_("Topic"), max_length=500)
    decision_number = forms.CharField(label=_("Decision number"), max_length=60, required=False)
    decision_date = date_field(_("Decision date"), required=False)
    covered_from = date_field(_("Period covered from"), required=False)
    covered_to = date_field(_("Period covered to"), required=False)
    subject_units = forms.ModelMultipleChoiceField(
        label=_("Organisations"), queryset=Unit.objects.none(), required=False
    )
    subject_staff = StaffMultipleChoice(label=_("Individuals"), queryset=Staff.objects.none(), required=False)
    team_lead = StaffChoice(label=_("Team lead"), queryset=Staff.objects.none(), required=False)
    team_members = StaffMultipleChoice(label=_("Team members"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deciding_unit"].queryset = managed_units(actor)
        self.setup_people(actor)


class FromPlanItemForm(StyledFormMixin, forms.Form):
    decision_number = forms.CharField(label=_("Decision number"), max_length=60, required=False)
    decision_date = date_field(_("Decision date"), required=False)


class DecideForm(StyledFormMixin, forms.Form):
    decision_number = forms.CharField(label=_("Decision number"), max_length=60)
    decision_date = date_field(_("Decision date"))


class StartForm(StyledFormMixin, forms.Form):
    started_on = date_field(_("Started on"), required=False)


class ConcludeForm(StyledFormMixin, forms.Form):
    conclusion_number = forms.CharField(label=_("Conclusion number"), max_length=60)
    conclusion_date = date_field(_("Conclusion date"))
    summary = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("Conclusion document"), required=False)


class CloseForm(StyledFormMixin, forms.Form):
    closed_on = date_field(_("Closed on"), required=False)


class SubjectForm(StyledFormMixin, forms.Form):
    unit = forms.ModelChoiceField(label=_("Organisation"), queryset=Unit.objects.none(), required=False)
    staff = StaffChoice(label=_("Individual"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(actor)
        self.fields["staff"].queryset = visible_staff(actor)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class FindingForm(StyledFormMixin, forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=SubjectResult.choices[1:])
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label=_("Evidence files"), required=False)


class RecommendationForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 2}))
    responsible_unit = forms.ModelChoiceField(label=_("Responsible unit"), queryset=Unit.objects.none())
    due_date = date_field(_("Deadline"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = visible_units(actor)


class RecommendationCloseForm(StyledFormMixin, forms.Form):
    carried_out = forms.TypedChoiceField(
        label=_("Outcome"),
        choices=[("1", RecommendationStatus.DONE.label), ("0", RecommendationStatus.CANCELLED.label)],
        coerce=lambda value: value == "1",
    )
    note = forms.CharField(label=_("What was done"), max_length=2000)
