"""Citizens' satisfaction: service points, survey templates, ratings, daily and monthly counts, feedback.

The index is computed from counts, never from per-rating Python loops. Each rating keeps, beside the exact
answers it was given (`answers`, question id -> score), how many of its answers fell in each factor and how
many of those were 4 or 5 ("satisfied" or "very satisfied"). The same per-factor counts are added, in the
transaction that stores the rating, to one row per service point and day (DailyCount) and per service point
and month (MonthlyCount). A year's city-wide index therefore reads a few thousand monthly rows whatever the
number of ratings, and any figure can be traced to the ratings behind it.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kycuong.core.models import SearchableModel
from kycuong.org.models import Staff, Unit


class Factor(models.TextChoices):
    """The five factors of the SIPAS model (Decision 2640/QĐ-BNV), and the one question of a kiosk."""

    ACCESS = "access", _("Access to the service")
    PROCEDURE = "procedure", _("The administrative procedure")
    CIVIL_SERVANT = "civil_servant", _("The civil servant")
    RESULT = "result", _("The result")
    FEEDBACK = "feedback", _("Handling of feedback")
    VISIT = "visit", _("The visit as a whole")


# The factors whose mean is the overall index. "visit" (the kiosk's single question) is reported beside it.
INDEX_FACTORS = (Factor.ACCESS, Factor.PROCEDURE, Factor.CIVIL_SERVANT, Factor.RESULT, Factor.FEEDBACK)
ALL_FACTORS = (*INDEX_FACTORS, Factor.VISIT)
# An answer of 4 ("satisfied") or 5 ("very satisfied") counts as satisfied.
SATISFIED_FROM = 4
SCORE_MIN, SCORE_MAX = 1, 5


def answers_field(factor: str) -> str:
    return f"{factor}_answers"


def satisfied_field(factor: str) -> str:
    return f"{factor}_satisfied"


COUNT_FIELDS = tuple(name for f in ALL_FACTORS for name in (answers_field(f), satisfied_field(f)))


class FactorCounts(models.Model):
    """Per factor: how many answers, and how many of them were 4 or 5."""

    access_answers = models.PositiveIntegerField(default=0)
    access_satisfied = models.PositiveIntegerField(default=0)
    procedure_answers = models.PositiveIntegerField(default=0)
    procedure_satisfied = models.PositiveIntegerField(default=0)
    civil_servant_answers = models.PositiveIntegerField(default=0)
    civil_servant_satisfied = models.PositiveIntegerField(default=0)
    result_answers = models.PositiveIntegerField(default=0)
    result_satisfied = models.PositiveIntegerField(default=0)
    feedback_answers = models.PositiveIntegerField(default=0)
    feedback_satisfied = models.PositiveIntegerField(default=0)
    visit_answers = models.PositiveIntegerField(default=0)
    visit_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}


class FormKind(models.TextChoices):
    SURVEY = "survey", _("Survey of the five factors")
    KIOSK = "kiosk", _("Rate your visit (one question)")


class SurveyTemplate(models.Model):
    """A questionnaire in force for a period: records keep the questions of the day they were given."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    form_kind = models.CharField(_("form"), max_length=10, choices=FormKind.choices)
    intro = models.TextField(_("introduction"), blank=True)
    intro_en = models.TextField(_("introduction in English"), blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["form_kind", "-valid_from"]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="survey_template_validity_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name

    @property
    def display_intro(self) -> str:
        return self.intro_en if get_language() == "en" and self.intro_en else self.intro


class Question(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    factor = models.CharField(_("factor"), max_length=20, choices=Factor.choices)
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300, blank=True)

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="question_position_unique")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def display_text(self) -> str:
        return self.text_en if get_language() == "en" and self.text_en else self.text


class ServicePointKind(models.TextChoices):
    ONE_STOP = "one_stop", _("One-stop desk")
    RECEPTION = "reception", _("Reception")
    OTHER = "other", _("Other service point")


def new_public_slug() -> str:
    """About 96 random bits: the public link cannot be guessed or enumerated."""
    return secrets.token_urlsafe(12)


class ServicePoint(SearchableModel):
    """A place where citizens are served (a ward's one-stop desk, a department's reception)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="service_points"
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ServicePointKind.choices, default=ServicePointKind.ONE_STOP
    )
    form_kind = models.CharField(
        _("rating form"), max_length=10, choices=FormKind.choices, default=FormKind.SURVEY
    )
    slug = models.CharField(_("public link key"), max_length=32, unique=True, default=new_public_slug)
    procedures = models.TextField(
        _("procedures offered"), blank=True, help_text=_("One per line; citizens may pick one in the form.")
    )
    staff = models.ManyToManyField(
        Staff, verbose_name=_("civil servants serving here"), blank=True, related_name="service_points"
    )
    active = models.BooleanField(_("accepting ratings"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["unit__name", "name", "id"]
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        indexes = [models.Index(fields=["unit", "name"], name="servicepoint_unit_idx")]

    def __str__(self) -> str:
        return self.name

    def search_source(self) -> str:
        return f"{self.name} {self.code}"

    @property
    def procedure_list(self) -> list[str]:
        return [line.strip() for line in self.procedures.splitlines() if line.strip()]

    @cached_property
    def staff_choices(self) -> list[tuple[int, str]]:
        """(id, name) of the people who serve here, by name: the public form's choice."""
        return list(self.staff.order_by("full_name").values_list("pk", "full_name"))


class RatingSource(models.TextChoices):
    ONLINE = "online", _("Public form")
    PAPER = "paper", _("Paper form")
    OTHER_SYSTEM = "other_system", _("Another system")


# Personal data a citizen may choose to give: never copied into the audit log, and erasable.
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


class Rating(FactorCounts):
    """One citizen's answers about one visit. The per-factor counts are derived from `answers`."""

    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("service point"), on_delete=models.PROTECT, related_name="ratings"
    )
    # The service point's unit when the rating was given: a later move of the point leaves history alone.
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("survey template"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("given at"))
    day = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=20, choices=RatingSource.choices)
    answers = models.JSONField(_("answers"), default=dict)
    receipt_code = models.CharField(_("dossier or receipt code"), max_length=60, blank=True, default="")
    procedure = models.CharField(_("procedure"), max_length=255, blank=True, default="")
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("civil servant who served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True, default="")
    contact_name = models.CharField(_("name"), max_length=120, blank=True, default="")
    contact_phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    contact_email = models.CharField(_("e-mail"), max_length=254, blank=True, default="")
    contact_erased_at = models.DateTimeField(_("contact details erased"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        permissions = [
            ("view_contact", _("Can see the contact details citizens gave")),
            ("erase_contact", _("Can erase the contact details citizens gave")),
            ("import_rating", _("Can import ratings collected on paper or by another system")),
        ]
        indexes = [
            models.Index(fields=["unit", "-submitted_at"], name="rating_unit_time_idx"),
            models.Index(fields=["unit", "day"], name="rating_unit_day_idx"),
            models.Index(fields=["service_point", "day"], name="rating_point_day_idx"),
            models.Index(fields=["staff", "day"], name="rating_staff_day_idx"),
            models.Index(
                fields=["unit", "-submitted_at"], condition=~Q(comment=""), name="rating_comment_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "receipt_code"],
                condition=~Q(receipt_code=""),
                name="one_rating_per_receipt_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.day:%d/%m/%Y} #{self.pk}"

    @property
    def has_contact(self) -> bool:
        return any(getattr(self, name) for name in CONTACT_FIELDS)


class DailyCount(FactorCounts):
    """The ratings of one service point on one day, added up; kept in the transaction of each rating."""

    service_point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    ratings = models.PositiveIntegerField(default=0)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service_point", "unit", "day"], name="daily_count_unique")
        ]
        indexes = [
            models.Index(fields=["unit", "day"], name="daily_count_unit_idx"),
            models.Index(fields=["day"], name="daily_count_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.day}: {self.ratings}"


class MonthlyCount(FactorCounts):
    """The ratings of one service point in one calendar month (`month` is its first day), added up."""

    service_point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    ratings = models.PositiveIntegerField(default=0)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service_point", "unit", "month"], name="monthly_count_unique")
        ]
        indexes = [
            models.Index(fields=["unit", "month"], name="monthly_count_unit_idx"),
            models.Index(fields=["month"], name="monthly_count_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.month:%m/%Y}: {self.ratings}"


class FeedbackKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    OTHER = "other", _("Other")


class FeedbackState(models.TextChoices):
    OPEN = "open", _("Awaiting an answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Feedback(models.Model):
    """A comment that staff tagged as a complaint or suggestion, to be answered by its deadline."""

    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="feedback"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=FeedbackKind.choices)
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    received_on = models.DateField(_("received on"))
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=10, choices=FeedbackState.choices, default=FeedbackState.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    tagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("complaint or suggestion")
        verbose_name_plural = _("complaints and suggestions")
        permissions = [("handle_feedback", _("Can tag, answer and close complaints and suggestions"))]
        indexes = [
            models.Index(fields=["unit", "state", "deadline"], name="feedback_unit_state_idx"),
            models.Index(fields=["unit", "received_on"], name="feedback_unit_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.rating_id}"

    @property
    def on_time(self) -> bool | None:
        if self.answered_on is None:
            return None
        return self.answered_on <= self.deadline
