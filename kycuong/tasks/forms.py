from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.forms import StyledFormMixin
from kycuong.core.scoping import restrict
from kycuong.org.models import Staff, Unit

from .models import DocumentKind, Priority, Recurrence, SourceDocument, TaskState


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


MAX_ID = 2**63 - 1  # ids beyond the database's bigint are refused as invalid, not passed on
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskAssignForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Task title"), max_length=500)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    assigning_unit = forms.ModelChoiceField(label=_("Assigning unit"), queryset=Unit.objects.none())
    lead_unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=Unit.objects.none())
    cooperating_units = forms.ModelMultipleChoiceField(
        label=_("Cooperating units"), queryset=Unit.objects.none(), required=False
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible person"), queryset=Staff.objects.none(), required=False
    )
    document = forms.ModelChoiceField(
        label=_("Source document"), queryset=SourceDocument.objects.none(), required=False
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT, required=False)
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT, required=False)
    due_working_days = forms.IntegerField(
        label=_("or due in working days"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Counted from the start date, skipping weekends and public holidays."),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    expected_product = forms.CharField(label=_("Expected product"), max_length=300, required=False)
    recurrence = forms.ChoiceField(label=_("Repeats"), choices=Recurrence.choices, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        assignable = restrict(Unit.objects.valid_on(), actor, "tasks.assign_task").order_by("depth", "name")
        self.fields["assigning_unit"].queryset = assignable
        self.fields["lead_unit"].queryset = assignable
        self.fields["cooperating_units"].queryset = restrict(Unit.objects.valid_on(), actor, "org.view_unit")
        self.fields["responsible"].queryset = restrict(
            Staff.objects.filter(is_active=True), actor, "org.view_staff"
        ).select_related("unit")
        self.fields["document"].queryset = restrict(
            SourceDocument.objects.all(), actor, "tasks.view_sourcedocument"
        )
        self.fields["responsible"].label_from_instance = lambda staff: (
            f"{staff.full_name} ({staff.unit.name})"
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("due_date") and not cleaned.get("due_working_days"):
            self.add_error("due_date", _("Give a due date or a number of working days."))
        return cleaned


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReassignForm(StyledFormMixin, forms.Form):
    lead_unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=Unit.objects.none(), required=False)
    responsible = forms.ModelChoiceField(
        label=_("Responsible person"), queryset=Staff.objects.none(), required=False
    )
    due_date = forms.DateField(label=_("New due date"), widget=DATE_INPUT, required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = restrict(Unit.objects.valid_on(), actor, "tasks.assign_task")
        self.fields["responsible"].queryset = restrict(
            Staff.objects.filter(is_active=True), actor, "org.view_staff"
        )


class ProgressForm(StyledFormMixin, forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 3}))
    reported_on = forms.DateField(label=_("Date"), widget=DATE_INPUT, required=False)
    files = MultipleFileField(label=_("Files"), required=False)


class SubmitForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 3}))
    links = forms.CharField(
        label=_("Links (one per line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    files = MultipleFileField(label=_("Evidence files"), required=False)


class ExtensionForm(StyledFormMixin, forms.Form):
    requested_due_date = forms.DateField(label=_("New due date"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(StyledFormMixin, forms.Form):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda value: value == "1",
        choices=[("1", _("Grant")), ("0", _("Refuse"))],
    )
    note = forms.CharField(
        label=_("Note (required when refusing)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class DocumentForm(StyledFormMixin, forms.Form):
    number = forms.CharField(label=_("Number"), max_length=60)
    kind = forms.ChoiceField(label=_("Document kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Document title"), max_length=500)
    issuing_unit = forms.ModelChoiceField(label=_("Issuing unit"), queryset=Unit.objects.none())
    issued_on = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    files = MultipleFileField(label=_("Files (the document's text, annexes)"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuing_unit"].queryset = restrict(Unit.objects.valid_on(), actor, "tasks.assign_task")


class DocumentFilesForm(StyledFormMixin, forms.Form):
    files = MultipleFileField(label=_("Files"))


class TaskFilterForm(StyledFormMixin, forms.Form):
    """The list filters; invalid values are reported and ignored, never a server error."""

    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("units", _("Tasks of my units")),
            ("mine", _("My tasks")),
            ("assigned", _("Tasks I assigned")),
        ],
    )
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *TaskState.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    at_risk = forms.BooleanField(label=_("At risk"), required=False)
    unit = forms.IntegerField(
        label=_("Unit"), required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID
    )
    descendants = forms.BooleanField(label=_("With sub-units"), required=False, initial=True)
    due_from = forms.DateField(label=_("Due from"), widget=DATE_INPUT, required=False)
    due_to = forms.DateField(label=_("Due to"), widget=DATE_INPUT, required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    document = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    responsible = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    outcome = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", ""), ("on_time", ""), ("late", ""), ("overdue", ""), ("open", ""), ("due", "")],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("due_date", _("Due date")),
            ("-due_date", _("Due date, latest first")),
            ("priority", _("Priority")),
            ("title", _("Task title")),
            ("-updated", _("Recently changed")),
        ],
    )
