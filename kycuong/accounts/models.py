import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kycuong.org.models import Staff, Unit


class User(AbstractUser):
    staff = models.OneToOneField(
        Staff,
        verbose_name=_("staff record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    def get_full_name(self) -> str:
        # Vietnamese order: family and middle names (last_name) before the given name (first_name).
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()


class Role(models.Model):
    """A named set of permissions; what a role may do is data an administrator can change."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("permissions"), blank=True)
    # The default permissions ("app.codename") already offered to this role once. A default added by a newer
    # version is granted on the next migrate; one an administrator took away is not given back.
    defaults_applied = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if get_language() == "en" and self.name_en else self.name


class GrantQuerySet(models.QuerySet):
    def active(self, day=None):
        day = day or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )


class Grant(models.Model):
    """A user holds a role over a unit, and over its descendants when `include_descendants` is set."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants")
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="grants")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="grants")
    include_descendants = models.BooleanField(_("covers sub-units"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_UNIT_FIELD = "unit"
    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="grant_unique_per_unit"),
        ]
        indexes = [models.Index(fields=["user", "role"], name="grant_user_role_idx")]

    def __str__(self) -> str:
        # Stored in audit records, so it carries no translated words: "+" marks a grant covering sub-units.
        return (
            f"{self.user.username}: {self.role.code} @ {self.unit}{' +' if self.include_descendants else ''}"
        )


TOKEN_PREFIX = "kc_"


def hash_token_secret(secret: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 cannot be brute-forced, and lookups stay fast.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token: only its hash is stored; the owner lists and revokes it."""

    user = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(_("key id"), max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.key_id}…)"

    @staticmethod
    def new_secret() -> tuple[str, str, str]:
        """(key id, secret, full token as shown once to the owner)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return key_id, secret, f"{TOKEN_PREFIX}{key_id}_{secret}"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.user.is_active


class LoginFailure(models.Model):
    """A failed sign-in. Recent failures lock the username and throttle the client address
    (accounts.lockout); an administrator's unlock removes them, with an audit record."""

    username = models.CharField(_("username"), max_length=150)
    client = models.CharField(_("client address"), max_length=45)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        permissions = [("unlock_login", _("Can unlock sign-ins locked after failures"))]
        indexes = [
            models.Index(fields=["username", "at"], name="login_failure_user_idx"),
            models.Index(fields=["client", "at"], name="login_failure_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.client} at {self.at:%Y-%m-%d %H:%M}"
