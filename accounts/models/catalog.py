from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.choices import ProductCode


class ProductCategory(models.TextChoices):
    MICROSOFT_365 = "microsoft_365", _("Microsoft 365")
    TEAMS_PHONE = "teams_phone", _("Teams Phone")
    CALLING_PLANS = "calling_plans", _("Calling Plans")
    CONFERENCING = "conferencing", _("Audio Conferencing")
    ADD_ONS = "add_ons", _("Add-ons")


class ProductQuerySet(models.QuerySet):
    def purchasable(self) -> ProductQuerySet:
        return self.filter(is_active=True)


class Product(models.Model):
    """An item of the catalog that a tenant subscribes to and assigns as licenses."""

    COMMUNICATIONS_CREDITS = ProductCode.COMMUNICATIONS_CREDITS
    AUDIO_CONFERENCING = ProductCode.AUDIO_CONFERENCING
    PHONE_SYSTEM = ProductCode.PHONE_SYSTEM
    DOMESTIC_CALLING_PLAN = ProductCode.DOMESTIC_CALLING_PLAN
    DOMESTIC_INTERNATIONAL_CALLING_PLAN = ProductCode.DOMESTIC_INTERNATIONAL_CALLING_PLAN
    MICROSOFT_365_E5 = ProductCode.MICROSOFT_365_E5

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("The product's SKU part number, used by the command-line tools."),
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=30, choices=ProductCategory.choices)
    description = models.TextField(_("description"), blank=True)
    monthly_price = models.DecimalField(
        _("price per license per month"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("List price in the tenant's currency; zero for pay-as-you-go products."),
    )
    unlimited_seats = models.BooleanField(
        _("unlimited licenses"),
        default=False,
        help_text=_("No seat limit: shown as Unlimited and never runs out."),
    )
    includes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="included_in",
        verbose_name=_("includes"),
        help_text=_("Products whose capabilities come with this one (E5 includes Phone System)."),
    )
    features = models.TextField(
        _("what it includes"),
        blank=True,
        help_text=_("One capability per line, as shown in the catalog."),
    )
    is_active = models.BooleanField(_("sold"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0), name="product_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def feature_list(self) -> list[str]:
        return [line.strip() for line in self.features.splitlines() if line.strip()]


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    DISABLED = "disabled", _("Disabled")


class SubscriptionQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> SubscriptionQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> SubscriptionQuerySet:
        return self.filter(status=SubscriptionStatus.ACTIVE)


class Subscription(models.Model):
    """A tenant's subscription to a product: how many licenses it may assign."""

    tenant = models.ForeignKey(
        "accounts.Tenant",
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("tenant"),
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("product")
    )
    seats = models.PositiveIntegerField(
        _("licenses"),
        default=0,
        help_text=_("Licenses bought; ignored for products with unlimited licenses."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    renews_at = models.DateTimeField(_("renews at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "product__sort_order"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "product"], name="subscription_unique_product"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="subscription_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.product}"

    def clean(self) -> None:
        """Seats can't drop below the licenses the tenant's users hold."""
        super().clean()
        if self.tenant_id is None or self.product_id is None or self.product.unlimited_seats:
            return
        assigned = LicenseAssignment.objects.filter(
            tenant_id=self.tenant_id, product_id=self.product_id
        ).count()
        if self.seats < assigned:
            raise ValidationError(
                {
                    "seats": ngettext(
                        "%(assigned)d license of %(product)s is assigned: the subscription "
                        "can't have fewer licenses. Remove licenses first.",
                        "%(assigned)d licenses of %(product)s are assigned: the subscription "
                        "can't have fewer licenses. Remove licenses first.",
                        assigned,
                    )
                    % {"assigned": assigned, "product": self.product}
                }
            )


class LicenseAssignmentQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> LicenseAssignmentQuerySet:
        return self.filter(tenant=tenant)

    def bulk_create(self, objs, *args, **kwargs) -> list[LicenseAssignment]:
        """Fills each new assignment's ``tenant`` from its user first: from the user
        object when it is loaded, else by one query for all the user ids missing one."""
        objs = list(objs)
        missing = [obj for obj in objs if obj.tenant_id is None]
        unloaded = set()
        for obj in missing:
            if LicenseAssignment.user.is_cached(obj):
                obj.tenant_id = obj.user.tenant_id
            elif obj.user_id is not None:
                unloaded.add(obj.user_id)
        if unloaded:
            users = LicenseAssignment._meta.get_field("user").related_model
            tenant_of = dict(
                users._base_manager.using(self.db)
                .filter(pk__in=unloaded)
                .values_list("pk", "tenant_id")
            )
            for obj in missing:
                if obj.tenant_id is None:
                    obj.tenant_id = tenant_of.get(obj.user_id)
        return super().bulk_create(objs, *args, **kwargs)


class LicenseAssignment(models.Model):
    """A product license assigned to one directory user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="licenses",
        verbose_name=_("user"),
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("product")
    )
    # Always the user's tenant (a user's tenant is fixed once set): kept on the row so a
    # tenant's licenses are counted from the (tenant, user) and (tenant, product) indexes
    # alone, without reading its users (docs/architecture.md, "cost the same at any size").
    tenant = models.ForeignKey(
        "accounts.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
        editable=False,
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )

    objects = LicenseAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["user", "product__sort_order"]
        verbose_name = _("license assignment")
        verbose_name_plural = _("license assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="license_assignment_unique"),
        ]
        indexes = [
            models.Index(fields=["product", "user"], name="license_product_user_idx"),
            models.Index(fields=["tenant", "user"], name="license_tenant_user_idx"),
            models.Index(fields=["tenant", "product"], name="license_tenant_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.product}"

    def save(self, *args, **kwargs) -> None:
        if self.tenant_id is None and self.user_id is not None:
            self.tenant_id = self.user.tenant_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """One-row rules; seat counting and bulk rules live in the license services."""
        super().clean()
        user = getattr(self, "user", None)
        if user is None:
            return
        if user.tenant_id is None:
            raise ValidationError(_("Platform staff cannot be given product licenses."))
        if not user.usage_location:
            raise ValidationError(
                _("%(user)s has no usage location; set it before assigning a license."),
                params={"user": user},
            )
        if not user.is_active:
            raise ValidationError(
                _("%(user)s is disabled and cannot be given a license."), params={"user": user}
            )
