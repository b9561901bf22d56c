from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.forms import StyledFormMixin
from kycuong.core.scoping import restrict
from kycuong.org.models import Staff, Unit

from .abuse import HONEYPOT_FIELD
from .models import FeedbackKind, FormKind, ServicePoint, ServicePointKind, SurveyTemplate
from .services import MAX_COMMENT_LENGTH

SCALE = [
    (1, _("Very dissatisfied")),
    (2, _("Dissatisfied")),
    (3, _("Neither satisfied nor dissatisfied")),
    (4, _("Satisfied")),
    (5, _("Very satisfied")),
]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PublicRatingForm(forms.Form):
    """The public form: one 1–5 question per template question, then optional details. No script needed."""

    receipt_code = forms.CharField(
        label=_("Dossier or receipt code (optional)"),
        max_length=60,
        required=False,
        help_text=_("Printed on your receipt. With it, one rating is counted per dossier."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    procedure = forms.CharField(label=_("Procedure (optional)"), max_length=255, required=False)
    staff = forms.TypedChoiceField(
        label=_("Civil servant who served you (optional)"), coerce=int, required=False, empty_value=None
    )
    comment = forms.CharField(
        label=_("Comment, suggestion or complaint (optional)"),
        max_length=MAX_COMMENT_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=120, required=False)
    contact_phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    contact_email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    # Hidden from people by the stylesheet; a robot that fills every field fills this one too.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, service_point: ServicePoint, template: SurveyTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        assert HONEYPOT_FIELD == "website"
        self.questions = list(template.questions.all())
        for question in self.questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.display_text,
                choices=SCALE,
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )
        procedures = service_point.procedure_list
        if procedures:
            self.fields["procedure"] = forms.ChoiceField(
                label=_("Procedure (optional)"),
                required=False,
                choices=[("", "—"), *[(p, p) for p in procedures]],
            )
        people = service_point.staff_choices
        if people:
            self.fields["staff"].choices = [("", "—"), *people]
        else:
            del self.fields["staff"]

    def question_fields(self):
        return [self[f"q{question.pk}"] for question in self.questions]

    def scores(self) -> dict[int, int]:
        return {
            question.pk: self.cleaned_data[f"q{question.pk}"]
            for question in self.questions
            if self.cleaned_data.get(f"q{question.pk}") is not None
        }

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and not any(cleaned.get(f"q{q.pk}") is not None for q in self.questions):
            raise forms.ValidationError(_("Answer at least one question."))
        return cleaned


class ServicePointForm(StyledFormMixin, forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=255)
    kind = forms.ChoiceField(label=_("Kind"), choices=ServicePointKind.choices)
    form_kind = forms.ChoiceField(label=_("Rating form"), choices=FormKind.choices)
    procedures = forms.CharField(
        label=_("Procedures offered"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; citizens may pick one in the form."),
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Civil servants serving here"), queryset=Staff.objects.none(), required=False
    )
    active = forms.BooleanField(label=_("Accepting ratings"), required=False, initial=True)

    def __init__(self, *args, actor, service_point: ServicePoint | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = restrict(
            Unit.objects.valid_on(), actor, "satisfaction.add_servicepoint"
        ).order_by("depth", "name")
        unit_id = service_point.unit_id if service_point else None
        staff = restrict(Staff.objects.filter(is_active=True), actor, "org.view_staff")
        if unit_id:
            staff = staff.filter(unit_id=unit_id)
            del self.fields["unit"]
            self.fields["code"].disabled = True
        self.fields["staff"].queryset = staff.select_related("unit").order_by("full_name")
        self.fields["staff"].label_from_instance = lambda person: f"{person.full_name} ({person.unit.name})"


class FeedbackTagForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FeedbackKind.choices)
    topic = forms.CharField(label=_("Topic"), max_length=120, required=False)


class FeedbackAnswerForm(StyledFormMixin, forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}))
    answered_on = forms.DateField(label=_("Answered on"), widget=DATE_INPUT, required=False)


class IndexFilterForm(forms.Form):
    unit = forms.IntegerField(required=False)
    point = forms.IntegerField(required=False)
    staff = forms.IntegerField(required=False)
    procedure = forms.CharField(required=False, max_length=255)
    date_from = forms.DateField(required=False, widget=DATE_INPUT)
    date_to = forms.DateField(required=False, widget=DATE_INPUT)
    descendants = forms.BooleanField(required=False)


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
