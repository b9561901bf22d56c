from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .text import fold


class SearchableModel(models.Model):
    """A model with a folded copy of its searchable text, so that search ignores diacritics and case."""

    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_source(self) -> str:
        raise NotImplementedError

    def refresh_search_text(self) -> None:
        self.search_text = fold(self.search_source())


class AuditRecord(models.Model):
    """An append-only, hash-chained record of one change.

    Ids grow with time across the whole log (gaps are normal: a transaction that rolls back uses ids up).
    Each record belongs to one chain and names the record before it in that chain (`prev_id`, `prev_hash`).

    Actor and unit are kept as plain ids with a text snapshot, not foreign keys: nothing that happens to a
    user or a unit later may cascade into, block, or rewrite the record of what they did.
    """

    id = models.BigIntegerField(primary_key=True)
    chain = models.PositiveSmallIntegerField(_("chain"), default=1)
    prev_id = models.BigIntegerField(_("previous record"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    unit_id = models.BigIntegerField(_("unit id"), null=True, blank=True)
    unit_label = models.CharField(_("unit"), max_length=255, blank=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=40)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    SCOPE_UNIT_FIELD = "unit_id"

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            models.Index(fields=["unit_id", "-id"], name="audit_unit_idx"),
            models.Index(fields=["actor_id", "-id"], name="audit_actor_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["created_at"], name="audit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row per chain (the id is the chain's number) holding its last record's id and hash.

    A writer locks one chain's row until its transaction ends; writers on different chains do not wait.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.last_id}: {self.last_hash}"


class ScheduledRun(models.Model):
    """A periodic job enqueued for one time slot; the unique slot stops two workers enqueueing it twice."""

    job = models.CharField(max_length=100)
    slot = models.CharField(max_length=40)
    enqueued_at = models.DateTimeField(default=timezone.now)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_unique_slot")]
        verbose_name = _("scheduled run")

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot}"


class CalendarDay(models.Model):
    """An announced exception to the working-day rule: an extra day off, or a make-up working day.

    The default rule (Monday to Friday, less Vietnam's public holidays) lives in `kycuong.core.calendar`;
    a row here always wins over it. Rows are data an administrator keeps, not code: the Government
    announces swaps every year.
    """

    day = models.DateField(_("day"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a make-up working day (a Saturday that is worked). Unticked: an extra day off."),
    )
    name = models.CharField(_("name"), max_length=255)
    legal_basis = models.TextField(
        _("legal basis"), blank=True, default="", help_text=_("The document that announced this day.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("days off and make-up days")

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.day:%d/%m/%Y} ({kind}): {self.name}"
