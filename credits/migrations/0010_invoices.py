# Invoices with a credit line (README, "Buying and managing Communications Credits"):
# invoicing approvals, invoices and their yearly numbering. Then, for the data already
# there (docs/operations.md, "Invoices"):
#
# - every succeeded invoice order gets its invoice, numbered by year in the order the
#   orders completed, issued when the order completed, due 30 days later, open, for the
#   lot the order funded;
# - every tenant that already pays by invoice (its billing profile says invoice, or it
#   has invoice orders) is approved for invoicing, with a credit limit of the larger of
#   what it owes on invoices (open invoices and pending invoice orders) and 1,000 in its
#   currency; audited as credits.invoicing_approve, by no one.

import datetime as dt
from decimal import Decimal

import accounts.models.tenants
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

NET_DAYS = 30  # credits/billing/rules.py INVOICE_NET_DAYS, as it was when this ran
DEFAULT_CREDIT_LIMIT = Decimal("1000")


def invoices_for_existing_orders(apps, schema_editor):
    Order = apps.get_model("credits", "Order")
    Invoice = apps.get_model("credits", "Invoice")
    InvoiceSequence = apps.get_model("credits", "InvoiceSequence")
    BillingProfile = apps.get_model("credits", "BillingProfile")
    InvoicingApproval = apps.get_model("credits", "InvoicingApproval")
    Tenant = apps.get_model("accounts", "Tenant")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    now = django.utils.timezone.now()

    last: dict[int, int] = {}
    invoiced = (
        Order.objects.filter(payment_type="invoice", status="succeeded")
        .select_related("ledger_entry")
        .order_by("completed_at", "id")
    )
    for order in invoiced:
        issued_on = order.completed_at.astimezone(dt.UTC).date()
        year = issued_on.year
        last[year] = last.get(year, 0) + 1
        Invoice.objects.create(
            number=f"INV-{year:04d}-{last[year]:06d}",
            tenant_id=order.tenant_id,
            order=order,
            lot_id=order.ledger_entry.lot_id,
            amount=order.amount,
            currency=order.currency,
            issued_at=order.completed_at,
            due_on=issued_on + dt.timedelta(days=NET_DAYS),
            status="open",
        )
    for year, number in last.items():
        InvoiceSequence.objects.update_or_create(year=year, defaults={"last": number})

    paying = set(
        BillingProfile.objects.filter(payment_type="invoice").values_list(
            "account__tenant_id", flat=True
        )
    ) | set(
        Order.objects.filter(payment_type="invoice", status__in=["pending", "succeeded"])
        .values_list("tenant_id", flat=True)
    )
    for tenant in Tenant.objects.filter(pk__in=paying).order_by("pk"):
        if InvoicingApproval.objects.filter(tenant=tenant).exists():
            continue
        owed = sum(
            (
                order.amount
                for order in Order.objects.filter(tenant=tenant, payment_type="invoice")
                .filter(models.Q(status="pending")
                        | models.Q(status="succeeded", invoice__status="open"))
            ),
            Decimal(0),
        )
        limit = max(owed, DEFAULT_CREDIT_LIMIT)
        approval = InvoicingApproval.objects.create(
            tenant=tenant, credit_limit=limit, is_active=True, approved_at=now
        )
        AuditEvent.objects.create(
            tenant=tenant, actor=None, action="credits.invoicing_approve",
            target=f"Invoicing approval {approval.pk}",
            before={},
            after={"credit_limit": str(limit), "active": True,
                   "reason": "Already paying by invoice when invoices were introduced"},
            created_at=now,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_service_requests'),
        ('credits', '0009_order_reconcile'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='InvoiceSequence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='year')),
                ('last', models.PositiveIntegerField(default=0, verbose_name='last number issued')),
            ],
            options={
                'verbose_name': 'invoice number sequence',
                'verbose_name_plural': 'invoice number sequences',
                'ordering': ['year'],
            },
        ),
        migrations.CreateModel(
            name='Invoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(help_text='INV-<year of issue>-<sequence>: never reused, never changed.', max_length=20, unique=True, verbose_name='number')),
                ('amount', models.DecimalField(decimal_places=4, max_digits=15, verbose_name='amount')),
                ('currency', models.CharField(max_length=3, validators=[accounts.models.tenants.validate_currency], verbose_name='currency')),
                ('issued_at', models.DateTimeField(verbose_name='issued at')),
                ('due_on', models.DateField(verbose_name='due on')),
                ('status', models.CharField(choices=[('open', 'Open'), ('paid', 'Paid'), ('void', 'Void')], default='open', max_length=10, verbose_name='status')),
                ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='marked paid at')),
                ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='voided at')),
                ('close_reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='marked paid or void by')),
                ('lot', models.ForeignKey(help_text='The funds the invoiced order added.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='credits.fundlot', verbose_name='fund lot')),
                ('order', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='invoice', to='credits.order', verbose_name='order')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='accounts.tenant', verbose_name='tenant')),
                ('void_entry', models.OneToOneField(blank=True, help_text="The adjustment that took back the lot's unused funds when it was voided (empty when nothing was left).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='credits.ledgerentry', verbose_name='funds taken back')),
            ],
            options={
                'verbose_name': 'invoice',
                'verbose_name_plural': 'invoices',
                'ordering': ['-issued_at', '-id'],
                'indexes': [models.Index(fields=['tenant', '-issued_at'], name='credits_invoice_tenant_idx'), models.Index(fields=['tenant', 'status', 'due_on'], name='credits_invoice_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('number__regex', '^INV-[0-9]{4}-[0-9]{6,}$')), name='credits_invoice_number_format'), models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='credits_invoice_amount_pos'), models.CheckConstraint(condition=models.Q(models.Q(('paid_at__isnull', True), ('status', 'open'), ('voided_at__isnull', True)), models.Q(('paid_at__isnull', False), ('status', 'paid'), ('voided_at__isnull', True)), models.Q(('paid_at__isnull', True), ('status', 'void'), ('voided_at__isnull', False)), _connector='OR'), name='credits_invoice_status_dates'), models.CheckConstraint(condition=models.Q(('void_entry__isnull', True), ('status', 'void'), _connector='OR'), name='credits_invoice_void_entry_only_void')],
            },
        ),
        migrations.CreateModel(
            name='InvoicingApproval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('credit_limit', models.DecimalField(decimal_places=4, help_text='The most the organization may owe on unpaid invoices (open invoices and invoice orders being placed), in its currency.', max_digits=15, verbose_name='credit limit')),
                ('is_active', models.BooleanField(default=True, help_text='Clear to revoke the approval: the Invoice option disappears at once.', verbose_name='invoicing allowed')),
                ('approved_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='approved at')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by')),
                ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='revoked by')),
                ('tenant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='invoicing_approval', to='accounts.tenant', verbose_name='tenant')),
            ],
            options={
                'verbose_name': 'invoicing approval',
                'verbose_name_plural': 'invoicing approvals',
                'ordering': ['tenant'],
                'constraints': [models.CheckConstraint(condition=models.Q(('credit_limit__gt', 0)), name='credits_invoicing_limit_positive'), models.CheckConstraint(condition=models.Q(models.Q(('is_active', True), ('revoked_at__isnull', True)), models.Q(('is_active', False), ('revoked_at__isnull', False)), _connector='OR'), name='credits_invoicing_revoked_when')],
            },
        ),
        migrations.RunPython(invoices_for_existing_orders, migrations.RunPython.noop),
    ]
