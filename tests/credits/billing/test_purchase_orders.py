"""order_place: the set-up purchase and Add funds, paid through the gateway; refusals
write and charge nothing; a repeated request charges once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import AuditEvent, Product, Subscription, SubscriptionStatus
from credits.billing.gateway import CardDetails, SavedCard
from credits.billing.gateway.sandbox import SandboxGateway
from credits.billing.rules import RechargeSettings, recharge_settings_check
from credits.billing.services.checks import Payment
from credits.billing.services.orders import gateway_key, order_place
from credits.exceptions import (
    AgreementRegionMismatch,
    CardRefused,
    CreditsAlreadySetUp,
    CreditsNotSetUp,
    InvalidOrderAmount,
    InvalidRechargeSettings,
    OrderConflict,
    PaymentDeclined,
    PaymentMethodUnavailable,
    PurchaseNotAllowed,
)
from credits.models import (
    BillingProfile,
    CreditAccount,
    EntryKind,
    FundSource,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PaymentType,
    SandboxCharge,
)
from tests.accounts.factories import TenantFactory, product
from tests.credits.payments import (
    DECLINED,
    INSUFFICIENT,
    PROCESSING_ERROR,
    VISA,
    agreement,
    counts,
    expired_card,
    future_year,
    invoicing_approved,
    saved_card,
    token,
)

pytestmark = pytest.mark.django_db

CREDITS = Product.COMMUNICATIONS_CREDITS
AUTO = RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20"))


def new_card(number=VISA, month=12, year=None, cvc="123"):
    return Payment(
        type=PaymentType.CARD,
        new_card=CardDetails(number=number, exp_month=month, exp_year=year or future_year(),
                             cvc=cvc, holder="Alex Wilber"),
    )


def set_up(tenant, user, amount="100", payment=None, key=None, recharge=AUTO):
    return order_place(
        tenant=tenant, acting_user=user, kind=OrderKind.PURCHASE, amount=Decimal(amount),
        payment=payment or new_card(), idempotency_key=key or token(), recharge=recharge,
    )


def top_up(tenant, user, amount="60", payment=None, key=None):
    return order_place(
        tenant=tenant, acting_user=user, kind=OrderKind.TOP_UP, amount=Decimal(amount),
        payment=payment, idempotency_key=key or token(),
    )


# --- the set-up purchase ----------------------------------------------------------------


def test_set_up_purchase_opens_credits_and_adds_the_funds_after_the_payment(
    tenant, billing_admin
):
    order = set_up(tenant, billing_admin, "100")

    assert order.status == OrderStatus.SUCCEEDED and order.completed_at
    account = CreditAccount.objects.get(tenant=tenant)
    assert account.balance == Decimal("100")
    assert (account.auto_recharge_enabled, account.recharge_amount, account.recharge_trigger) == (
        True, Decimal("50"), Decimal("20"),
    )
    entry = LedgerEntry.objects.get(account=account)
    assert entry == order.ledger_entry
    assert (entry.kind, entry.amount, entry.idempotency_key) == (
        EntryKind.PURCHASE, Decimal("100"), f"order:{order.pk}",
    )
    assert (entry.reference_type, entry.reference_id, entry.acting_user) == (
        "order", str(order.pk), billing_admin,
    )
    assert entry.lot.source == FundSource.PURCHASE
    charge = SandboxCharge.objects.get()
    assert charge.succeeded and charge.idempotency_key == gateway_key(order)
    assert charge.charge_id == order.gateway_charge_id and charge.amount == Decimal("100")
    subscription = Subscription.objects.get(tenant=tenant, product__code=CREDITS)
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.product.unlimited_seats
    card = PaymentMethod.objects.get(tenant=tenant)
    assert (card.brand, card.last4, card.holder, card.is_default) == (
        "Visa", "4242", "Alex Wilber", True,
    )
    profile = BillingProfile.objects.get(account=account)
    assert (profile.payment_type, profile.card) == (PaymentType.CARD, card)


def test_set_up_purchase_is_audited_with_who_what_and_before_and_after(tenant, billing_admin):
    order = set_up(tenant, billing_admin, "100")

    events = {e.action: e for e in AuditEvent.objects.filter(tenant=tenant)}
    assert {
        "credits.account_open", "credits.subscription_activate", "credits.card_add",
        "credits.billing_profile_update", "credits.recharge_settings_update",
        "credits.funds_add", "credits.order_succeeded",
    } <= set(events)
    paid = events["credits.order_succeeded"]
    assert paid.actor == billing_admin and paid.target == f"Order {order.number}"
    assert paid.before == {"status": "pending", "balance": "0.0000"}
    assert paid.after["balance"] == "100.0000" and paid.after["paid_with"] == "Visa •••• 4242"
    settings = events["credits.recharge_settings_update"]
    assert settings.before["enabled"] is False and settings.after["amount"] == "50.0000"


def test_an_existing_disabled_subscription_is_reactivated_not_duplicated(tenant, billing_admin):
    Subscription.objects.create(
        tenant=tenant, product=product(Product.COMMUNICATIONS_CREDITS),
        status=SubscriptionStatus.DISABLED,
    )
    set_up(tenant, billing_admin)
    subscription = Subscription.objects.get(tenant=tenant, product__code=CREDITS)
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_auto_recharge_may_stay_off(tenant, billing_admin):
    set_up(tenant, billing_admin, recharge=RechargeSettings(enabled=False))
    account = CreditAccount.objects.get(tenant=tenant)
    assert not account.auto_recharge_enabled and account.recharge_amount is None


def test_a_second_set_up_is_refused_once_credits_exist(tenant, billing_admin):
    set_up(tenant, billing_admin)
    before = counts()
    with pytest.raises(CreditsAlreadySetUp):
        set_up(tenant, billing_admin)
    assert counts() == before


def test_pay_by_invoice_adds_the_funds_at_once_and_charges_no_card(tenant, billing_admin):
    invoicing_approved(tenant)
    order = set_up(tenant, billing_admin, "75",
                   payment=Payment(type=PaymentType.INVOICE, po_number="PO-1"))
    assert order.status == OrderStatus.SUCCEEDED and order.po_number == "PO-1"
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("75")
    assert not SandboxCharge.objects.exists() and not PaymentMethod.objects.exists()
    assert BillingProfile.objects.get().payment_type == PaymentType.INVOICE


def test_an_agreement_in_the_tenants_region_pays_with_its_po_number(tenant, billing_admin):
    ea = agreement(tenant, "61234567", "CA")  # Contoso is in the US: both in the Americas
    order = set_up(tenant, billing_admin, payment=Payment(
        type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=ea, po_number="4500012345",
    ))
    assert (order.enterprise_agreement, order.po_number) == (ea, "4500012345")
    assert order.status == OrderStatus.SUCCEEDED
    profile = BillingProfile.objects.get()
    assert (profile.enterprise_agreement, profile.po_number) == (ea, "4500012345")


# --- refusals: nothing charged, nothing written ------------------------------------------


@pytest.mark.parametrize("country", ["RU", "KR", "TW"])
def test_tenants_in_ru_kr_tw_are_refused_with_nothing_written(country, billing_admin):
    tenant = TenantFactory(slug=f"t-{country}", country=country, currency="USD")
    before = counts()
    with pytest.raises(PurchaseNotAllowed) as refused:
        set_up(tenant, billing_admin)
    assert "aren't available for organizations located in" in refused.value.message
    assert counts() == before


def test_an_agreement_billed_in_another_region_is_refused_with_nothing_written(
    tenant, billing_admin
):
    ea = agreement(tenant, "71234567", "DE")  # Contoso (US, Americas); the EA in EMEA
    before = counts()
    with pytest.raises(AgreementRegionMismatch) as refused:
        set_up(tenant, billing_admin, payment=Payment(
            type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=ea, po_number="PO-9",
        ))
    message = refused.value.message
    assert "Enterprise Agreement 71234567" in message
    assert "Germany (Europe, Middle East and Africa)" in message
    assert "United States (Americas)" in message
    assert "service request" in message
    assert refused.value.agreement == ea
    assert counts() == before


def test_an_agreement_needs_volume_licensing_a_valid_po_number_if_any_and_the_same_tenant(
    tenant, other_tenant, billing_admin
):
    ea = agreement(tenant, "61234567", "US")
    others = agreement(other_tenant, "62345678", "US")
    before = counts()
    ea_payment = Payment(type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=ea,
                         po_number="PO;1")
    with pytest.raises(Exception, match="PO"):
        set_up(tenant, billing_admin, payment=ea_payment)
    with pytest.raises(PaymentMethodUnavailable):
        set_up(tenant, billing_admin, payment=Payment(
            type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=others, po_number="1",
        ))
    tenant.volume_licensing = False
    tenant.save()
    with pytest.raises(PaymentMethodUnavailable):
        set_up(tenant, billing_admin, payment=Payment(
            type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=ea, po_number="1",
        ))
    assert counts() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("49.99", "The minimum is $50.00."),
        ("0", "The minimum is $50.00."),
        ("-100", "The amount can't be negative. Enter at least $50.00."),
        ("10000.01", "The maximum for one order is $10,000.00."),
        ("100.001", "Use at most 2 decimal places for USD."),
        ("", "Enter an amount."),
        ("ten", "Enter the amount as a number, for example 1,000.50."),
        (None, "Enter an amount."),
        (100.5, "Enter the amount as a number, for example 100."),
        ("NaN", "Enter the amount as a number, for example 1,000.50."),
        ("1e3", "Write the amount in full, without an exponent: for example 1000, not 1e3."),
    ],
)
def test_amounts_outside_the_rules_are_refused_with_nothing_written(
    tenant, billing_admin, amount, message
):
    before = counts()
    with pytest.raises(InvalidOrderAmount) as refused:
        order_place(
            tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE, amount=amount,
            payment=new_card(), idempotency_key=token(), recharge=AUTO,
        )
    assert refused.value.message == message
    assert counts() == before


def test_the_minimum_and_maximum_themselves_are_allowed(tenant, billing_admin):
    set_up(tenant, billing_admin, "50")
    top_up(tenant, billing_admin, "10000", payment=Payment(
        type=PaymentType.CARD, card=PaymentMethod.objects.get(tenant=tenant)))
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("10050")


def test_whole_amounts_only_for_a_currency_without_decimals(billing_admin):
    tenant = TenantFactory(slug="yen", country="JP", currency="JPY")
    with pytest.raises(InvalidOrderAmount, match="Use whole amounts of JPY"):
        set_up(tenant, billing_admin, "5000.5", recharge=RechargeSettings(enabled=False))


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (RechargeSettings(enabled=True, amount=Decimal("49"), trigger=Decimal("20")), "amount"),
        (RechargeSettings(enabled=True, amount=None, trigger=Decimal("20")), "amount"),
        (RechargeSettings(enabled=True, amount=Decimal("50"), trigger=None), "trigger"),
        (RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("-1")), "trigger"),
        (RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20"),
                          monthly_limit=Decimal("40")), "monthly_limit"),
        # The trigger must be less than the recharge: one recharge lifts the balance above.
        (RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("50")), "trigger"),
        (RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("10000")),
         "trigger"),
    ],
)
def test_bad_recharge_settings_are_refused_with_nothing_written(
    tenant, billing_admin, settings, field
):
    before = counts()
    with pytest.raises(InvalidRechargeSettings) as refused:
        set_up(tenant, billing_admin, recharge=settings)
    assert field in refused.value.errors
    assert counts() == before


@pytest.mark.parametrize(
    ("number", "code"),
    [(DECLINED, "card_declined"), (INSUFFICIENT, "insufficient_funds"),
     (PROCESSING_ERROR, "processing_error")],
)
def test_a_failed_payment_adds_no_funds_and_records_the_failed_order(
    tenant, billing_admin, number, code
):
    """A saved card that fails when it is charged (it passed its check when saved)."""
    card = saved_card(tenant, number)
    before = counts()
    with pytest.raises(PaymentDeclined) as declined:
        set_up(tenant, billing_admin, payment=Payment(type=PaymentType.CARD, card=card))
    order = declined.value.order
    assert declined.value.failure_code == code == order.failure_code
    assert order.status == OrderStatus.FAILED and order.failure_reason
    assert "Nothing was charged" in declined.value.message
    after = counts()
    # Nothing charged, nothing funded, nothing set up; the attempt is on record.
    for name in ("succeeded_charges", "entries", "lots", "accounts", "profiles", "subscriptions"):
        assert after[name] == before[name], name
    assert after["orders"] == before["orders"] + 1
    assert after["charges"] == before["charges"] + 1
    assert AuditEvent.objects.filter(action="credits.order_failed", actor=billing_admin).exists()


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [(DECLINED, "card_declined", "The card was declined."),
     (INSUFFICIENT, "insufficient_funds", "The card has insufficient funds."),
     (PROCESSING_ERROR, "processing_error", "processing error")],
)
def test_a_typed_card_that_cant_pay_is_refused_before_any_order_or_charge(
    tenant, billing_admin, number, code, message
):
    """The checkout verifies a typed card (a zero-amount authorization) before the order:
    the same message as a charge would give, and nothing recorded, charged or saved."""
    before = counts()
    with pytest.raises(CardRefused) as refused:
        set_up(tenant, billing_admin, payment=new_card(number))
    assert refused.value.card_code == code
    assert message in refused.value.message and "Nothing was charged" in refused.value.message
    assert counts() == before
    assert not PaymentMethod.objects.exists()


def test_an_expired_new_card_is_refused_before_any_charge(tenant, billing_admin):
    today = dt.date.today()
    before = counts()
    with pytest.raises(CardRefused) as refused:
        set_up(tenant, billing_admin, payment=new_card(month=1, year=today.year - 1))
    assert refused.value.card_code == "expired_card"
    assert counts() == before


def test_an_expired_saved_card_is_refused_before_any_charge(tenant, billing_admin):
    card = expired_card(tenant)
    invoicing_approved(tenant)
    set_up(tenant, billing_admin, payment=Payment(type=PaymentType.INVOICE))
    before = counts()
    with pytest.raises(CardRefused) as refused:
        top_up(tenant, billing_admin, payment=Payment(type=PaymentType.CARD, card=card))
    assert "expired" in refused.value.message
    assert counts() == before


def test_another_tenants_card_or_a_removed_card_cannot_pay(tenant, other_tenant, billing_admin):
    invoicing_approved(tenant)
    set_up(tenant, billing_admin, payment=Payment(type=PaymentType.INVOICE))
    theirs = saved_card(other_tenant)
    removed = saved_card(tenant)
    PaymentMethod.objects.filter(pk=removed.pk).update(
        removed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), gateway_token="", is_default=False
    )
    removed.refresh_from_db()
    before = counts()
    for card in (theirs, removed):
        with pytest.raises(PaymentMethodUnavailable):
            top_up(tenant, billing_admin, payment=Payment(type=PaymentType.CARD, card=card))
    assert counts() == before


def test_add_funds_before_credits_are_set_up_is_refused(tenant, billing_admin):
    card = saved_card(tenant)
    before = counts()
    with pytest.raises(CreditsNotSetUp):
        top_up(tenant, billing_admin, payment=Payment(type=PaymentType.CARD, card=card))
    assert counts() == before


# --- add funds --------------------------------------------------------------------------


def test_add_funds_is_a_top_up_lot_keyed_by_its_order(tenant, billing_admin):
    set_up(tenant, billing_admin, "100")
    card = PaymentMethod.objects.get(tenant=tenant)
    order = top_up(tenant, billing_admin, "60", payment=Payment(type=PaymentType.CARD, card=card))
    account = CreditAccount.objects.get(tenant=tenant)
    assert account.balance == Decimal("160")
    assert order.ledger_entry.kind == EntryKind.TOP_UP
    assert order.ledger_entry.idempotency_key == f"order:{order.pk}"
    assert order.ledger_entry.lot.source == FundSource.TOP_UP
    # Add funds does not touch the recharge settings.
    assert account.recharge_amount == Decimal("50")


# --- idempotency ---------------------------------------------------------------------------


def test_the_same_request_twice_charges_once_and_returns_the_same_order(tenant, billing_admin):
    key = token()
    first = set_up(tenant, billing_admin, key=key)
    again = set_up(tenant, billing_admin, key=key)
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert SandboxCharge.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert PaymentMethod.objects.count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")


def test_the_same_key_with_other_details_is_a_conflict_with_nothing_more_written(
    tenant, billing_admin
):
    key = token()
    set_up(tenant, billing_admin, "100", key=key)
    before = counts()
    with pytest.raises(OrderConflict):
        set_up(tenant, billing_admin, "200", key=key)
    assert counts() == before


def test_a_repeated_declined_request_is_declined_again_without_a_second_attempt(
    tenant, billing_admin
):
    key = token()
    declining = Payment(type=PaymentType.CARD, card=saved_card(tenant, DECLINED))
    with pytest.raises(PaymentDeclined):
        set_up(tenant, billing_admin, payment=declining, key=key)
    with pytest.raises(PaymentDeclined) as again:
        set_up(tenant, billing_admin, payment=declining, key=key)
    assert again.value.failure_code == "card_declined"
    assert Order.objects.count() == 1 and SandboxCharge.objects.count() == 1


def test_a_pending_order_left_by_a_crash_is_completed_on_retry_without_a_second_charge(
    tenant, billing_admin, monkeypatch
):
    """The charge succeeded, then the process died before the order was completed."""
    from credits.billing.services import orders
    def crash(order, *, charge_id, at=None):
        raise RuntimeError("the worker died")

    key = token()
    monkeypatch.setattr(orders, "_complete", crash)
    with pytest.raises(RuntimeError):
        set_up(tenant, billing_admin, key=key)
    assert Order.objects.get().status == OrderStatus.PENDING
    assert SandboxCharge.objects.filter(succeeded=True).count() == 1
    assert not LedgerEntry.objects.exists()
    monkeypatch.undo()

    order = set_up(tenant, billing_admin, key=key)

    assert order.status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")


def test_a_pending_set_up_blocks_a_second_set_up(tenant, billing_admin):
    card = saved_card(tenant)
    Order.objects.create(
        tenant=tenant, kind=OrderKind.PURCHASE, amount=Decimal("100"), currency="USD",
        payment_type=PaymentType.CARD, payment_method=card, idempotency_key="other-admin",
        fingerprint="x",
    )
    with pytest.raises(CreditsAlreadySetUp, match="right now"):
        set_up(tenant, billing_admin)


def test_the_sandbox_charge_of_an_order_is_keyed_by_the_order(tenant, billing_admin):
    order = set_up(tenant, billing_admin)
    card = order.payment_method
    replay = SandboxGateway().charge(
        card=SavedCard(token=card.gateway_token, exp_month=card.exp_month, exp_year=card.exp_year),
        amount=order.amount, currency="USD", idempotency_key=gateway_key(order),
    )
    assert replay.replayed and replay.charge_id == order.gateway_charge_id


def test_a_set_up_abandoned_by_a_crash_is_finished_before_a_new_one(
    tenant, billing_admin, monkeypatch
):
    """The admin doesn't retry the same form: after a while the next purchase finishes the
    abandoned order first (its charge went through, so credits are set up) and stops."""
    from datetime import timedelta

    from django.utils import timezone

    from credits.billing.services import orders
    def crash(order, *, charge_id, at=None):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(orders, "_complete", crash)
    with pytest.raises(RuntimeError):
        set_up(tenant, billing_admin)
    monkeypatch.undo()
    Order.objects.update(created_at=timezone.now() - timedelta(minutes=11))

    with pytest.raises(CreditsAlreadySetUp):
        set_up(tenant, billing_admin)

    assert Order.objects.get().status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")


def test_a_recent_pending_order_is_left_alone(tenant, billing_admin):
    from credits.billing.services.orders import orders_recover

    card = saved_card(tenant)
    Order.objects.create(
        tenant=tenant, kind=OrderKind.PURCHASE, amount=Decimal("100"), currency="USD",
        payment_type=PaymentType.CARD, payment_method=card, idempotency_key="in-flight",
        fingerprint="x",
    )
    assert orders_recover(tenant=tenant) == []
    assert not SandboxCharge.objects.exists()


def test_a_trigger_at_or_above_the_recharge_is_fine_while_auto_recharge_is_off():
    """The rule guards recharges; amounts kept with auto-recharge off may be anything valid."""
    kept = recharge_settings_check(
        RechargeSettings(enabled=False, amount=Decimal("50"), trigger=Decimal("80")),
        currency="USD",
    )
    assert (kept.amount, kept.trigger) == (Decimal("50"), Decimal("80"))
    with pytest.raises(InvalidRechargeSettings) as refused:
        recharge_settings_check(
            RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("80")),
            currency="USD",
        )
    assert "must be less than" in refused.value.errors["trigger"]
