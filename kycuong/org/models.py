import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kycuong.core.models import SearchableModel


class UnitKind(models.TextChoices):
    CITY = "city", _("City / province")
    URBAN_DISTRICT = "urban_district", _("Urban district")
    RURAL_DISTRICT = "rural_district", _("Rural district")
    TOWN = "town", _("District-level town")
    WARD = "ward", _("Ward")
    COMMUNE = "commune", _("Commune")
    TOWNSHIP = "township", _("Township")
    DEPARTMENT = "department", _("Department")
    OFFICE = "office", _("Office")
    PARTY_COMMITTEE = "party_committee", _("Party committee")
    PARTY_CELL = "party_cell", _("Party cell")
    PARTY_AGENCY = "party_agency", _("Party agency (inspection committee, board)")
    MASS_ORGANISATION = "mass_organisation", _("Mass organisation")
    PUBLIC_SERVICE_UNIT = "public_service_unit", _("Public service unit")


ADMINISTRATIVE_KINDS = frozenset(
    {
        UnitKind.CITY,
        UnitKind.URBAN_DISTRICT,
        UnitKind.RURAL_DISTRICT,
        UnitKind.TOWN,
        UnitKind.WARD,
        UnitKind.COMMUNE,
        UnitKind.TOWNSHIP,
    }
)
PARTY_KINDS = frozenset({UnitKind.PARTY_COMMITTEE, UnitKind.PARTY_CELL})
PARTY_BODY_KINDS = PARTY_KINDS | {UnitKind.PARTY_AGENCY}


class ValidityQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date | None = None):
        day = day or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def valid_during(self, start: datetime.date, end: datetime.date):
        """In force on at least one day from `start` to `end`: a period's structure, old and new units
        alike when a reorganisation falls inside it."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=end),
            Q(valid_to__isnull=True) | Q(valid_to__gte=start),
        )


class Unit(SearchableModel):
    """A node of the organisation tree: an administrative unit, agency, Party organisation or other body.

    Units are never deleted: a dissolved or merged unit gets `valid_to` and stays queryable for its period.
    Subtree queries go through UnitClosure (one indexed join), never recursive Python.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=UnitKind.choices)
    code = models.CharField(_("official code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "id"
    objects = ValidityQuerySet.as_manager()

    class Meta:
        ordering = ["depth", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [
            models.Index(fields=["parent", "name"], name="unit_children_idx"),
            models.Index(fields=["kind", "name"], name="unit_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_validity_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def search_source(self) -> str:
        return f"{self.name} {self.name_en} {self.code}"

    def is_valid_on(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class UnitClosure(models.Model):
    """Every (ancestor, descendant) pair of the tree, a unit being its own ancestor at depth 0."""

    ancestor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="descendant_links")
    descendant = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ancestor_links")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="unit_closure_unique"),
        ]
        indexes = [models.Index(fields=["descendant", "depth"], name="unit_closure_desc_idx")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} > {self.descendant_id} ({self.depth})"


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class StaffCategory(models.TextChoices):
    CADRE = "cadre", _("Cadre")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")
    PUBLIC_EMPLOYEE = "public_employee", _("Public employee")
    OTHER = "other", _("Other")


class Staff(SearchableModel):
    """A cadre, civil servant or public employee; `unit` is the body that manages their records."""

    full_name = models.CharField(_("full name"), max_length=200)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=StaffCategory.choices, default=StaffCategory.CIVIL_SERVANT
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("managing unit"), on_delete=models.PROTECT, related_name="staff_members"
    )
    is_party_member = models.BooleanField(_("Party member"), default=False)
    party_unit = models.ForeignKey(
        Unit,
        verbose_name=_("Party organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_members",
        # A list in a fixed order (not the PARTY_KINDS set), so that migrations stay the same on every run.
        limit_choices_to={"kind__in": [UnitKind.PARTY_COMMITTEE, UnitKind.PARTY_CELL]},
    )
    party_joined_on = models.DateField(_("joined the Party on"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        indexes = [models.Index(fields=["unit", "full_name"], name="staff_unit_name_idx")]

    def __str__(self) -> str:
        return self.full_name

    def search_source(self) -> str:
        return f"{self.full_name} {self.email}"


class PostRole(models.TextChoices):
    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy head")
    MEMBER = "member", _("Member")


class PostQuerySet(models.QuerySet):
    def current(self, day: datetime.date | None = None):
        day = day or timezone.localdate()
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class Post(models.Model):
    """A post held by a person in a unit for a period; a person may hold several at once."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="posts"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(_("title"), max_length=200)
    role = models.CharField(
        _("role in the unit"), max_length=10, choices=PostRole.choices, default=PostRole.MEMBER
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    is_concurrent = models.BooleanField(_("concurrent post"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "unit"
    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "role", "-start_date"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["unit", "role", "end_date"], name="post_unit_role_idx"),
            models.Index(fields=["staff", "end_date"], name="post_staff_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_period_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}, {self.unit}"

    def is_current(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class EventKind(models.TextChoices):
    MERGE = "merge", _("Merge (several units into one)")
    SPLIT = "split", _("Split (one unit into several)")
    RENAME = "rename", _("Rename")
    MOVE = "move", _("Move under another parent")
    DISSOLVE = "dissolve", _("Dissolve")
    REORGANISE = "reorganise", _("Merge and split (several units into several)")


class EventState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPLIED = "applied", _("Applied")
    UNDONE = "undone", _("Undone")


class ShareKind(models.TextChoices):
    WHOLE = "whole", _("Whole unit")
    PART = "part", _("Part")
    PART_DEFAULT = "part_default", _("Part (receives the open work by default)")


class ReorganisationEvent(models.Model):
    """A change of the organisation on an effective date with its legal basis: merge, split, rename, move,
    dissolve, or a many-to-many reorganisation. Applying it closes and opens unit validity periods, ends or
    moves posts and hands open work to the successors; what it changed is kept so that it can be undone."""

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=300)
    effective_date = models.DateField(_("effective date"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    scope_unit = models.ForeignKey(
        Unit,
        verbose_name=_("concerned unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The lowest unit above every unit the event touches."),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("renamed or moved unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_name = models.CharField(_("new name"), max_length=255, blank=True)
    new_name_en = models.CharField(_("new name in English"), max_length=255, blank=True)
    new_parent = models.ForeignKey(
        Unit, verbose_name=_("new parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"<handler key>": {"<record id>": <successor unit id>}}: where a record of a split unit goes.
    record_choices = models.JSONField(_("choices per record"), default=dict, blank=True)
    # What applying changed besides handed-over records (units, posts, staff), read back by undo.
    applied_changes = models.JSONField(default=dict, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=EventState.choices, default=EventState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE_UNIT_FIELD = "scope_unit"

    class Meta:
        ordering = ["-effective_date", "-id"]
        verbose_name = _("reorganisation event")
        verbose_name_plural = _("reorganisation events")
        permissions = [
            ("apply_reorganisation", _("Can prepare, apply and undo reorganisations")),
            ("confirm_grant_carryover", _("Can confirm grants carried over to successor units")),
        ]
        indexes = [models.Index(fields=["scope_unit", "effective_date"], name="reorg_scope_date_idx")]

    def __str__(self) -> str:
        return self.title


class EventSuccessor(models.Model):
    """A unit that comes out of an event: an existing one, or one the event creates when it is applied."""

    event = models.ForeignKey(ReorganisationEvent, on_delete=models.CASCADE, related_name="successors")
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_new = models.BooleanField(_("created by the event"), default=False)
    code = models.CharField(_("official code"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=UnitKind.choices, blank=True)
    parent = models.ForeignKey(
        Unit, verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    SCOPE_UNIT_FIELD = "event__scope_unit"

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("successor unit")
        verbose_name_plural = _("successor units")

    def __str__(self) -> str:
        return self.unit.name if self.unit_id else self.name


class EventLink(models.Model):
    """One predecessor → successor pair of an event, with the share of the predecessor it takes."""

    event = models.ForeignKey(ReorganisationEvent, on_delete=models.CASCADE, related_name="links")
    predecessor = models.ForeignKey(
        Unit, verbose_name=_("predecessor unit"), on_delete=models.PROTECT, related_name="successor_links"
    )
    successor = models.ForeignKey(EventSuccessor, on_delete=models.CASCADE, related_name="links")
    share = models.CharField(_("share"), max_length=15, choices=ShareKind.choices, default=ShareKind.WHOLE)
    weight = models.DecimalField(
        _("weight of the part"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Fraction of the predecessor's figures counted for this successor; empty: equal parts."),
    )
    carries_grants = models.BooleanField(_("grants follow"), default=True)

    SCOPE_UNIT_FIELD = "event__scope_unit"

    class Meta:
        ordering = ["event", "predecessor", "id"]
        verbose_name = _("predecessor link")
        verbose_name_plural = _("predecessor links")
        constraints = [
            models.UniqueConstraint(fields=["event", "predecessor", "successor"], name="reorg_link_unique")
        ]
        indexes = [models.Index(fields=["predecessor", "event"], name="reorg_link_pred_idx")]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


class HandoverMove(models.Model):
    """A record handed from a closed unit to a successor when an event was applied (read back by undo)."""

    event = models.ForeignKey(ReorganisationEvent, on_delete=models.CASCADE, related_name="moves")
    handler = models.CharField(max_length=60)
    record_id = models.BigIntegerField()
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    SCOPE_UNIT_FIELD = "to_unit"

    class Meta:
        ordering = ["event", "handler", "record_id"]
        indexes = [
            models.Index(fields=["event", "handler"], name="handover_event_idx"),
            models.Index(fields=["handler", "record_id"], name="handover_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} {self.record_id}: {self.from_unit_id} → {self.to_unit_id}"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class GrantProposal(models.Model):
    """A grant held on a predecessor unit, proposed for a successor; created only once confirmed."""

    event = models.ForeignKey(ReorganisationEvent, on_delete=models.CASCADE, related_name="grant_proposals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    role_code = models.CharField(_("role"), max_length=50)
    source_grant_id = models.BigIntegerField()
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("from unit"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(Unit, verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="+")
    include_descendants = models.BooleanField(_("covers sub-units"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_grant_id = models.BigIntegerField(null=True, blank=True)

    SCOPE_UNIT_FIELD = "to_unit"

    class Meta:
        ordering = ["event", "user", "to_unit", "id"]
        verbose_name = _("grant carried over")
        verbose_name_plural = _("grants carried over")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user", "role_code", "to_unit"], name="grant_proposal_unique"
            )
        ]
        indexes = [models.Index(fields=["event", "state"], name="grant_proposal_state_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.role_code} → {self.to_unit}"
