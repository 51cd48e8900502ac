"""The shop's own exports: which files, their columns and types, and their keys.

Each file is read by DuckDB with an explicit schema (no type sniffing), so a changed column type fails loudly
naming the file and the field instead of silently loading strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFile:
    table: str
    columns: dict[str, str]
    primary_key: tuple[str, ...]
    #: columns holding e-mail addresses: stored only as `<column>_hash` (salted SHA-256)
    emails: tuple[str, ...] = ()
    description: str = ""

    @property
    def filename(self) -> str:
        return f"{self.table}.csv"


EXPORTS: tuple[ExportFile, ...] = (
    ExportFile("orders", {"order_id": "VARCHAR", "customer_id": "VARCHAR", "email": "VARCHAR",
                          "created_at": "TIMESTAMPTZ", "currency": "VARCHAR", "revenue": "DECIMAL(18,2)",
                          "status": "VARCHAR", "refunded_at": "TIMESTAMPTZ", "country": "VARCHAR"},
               ("order_id",), emails=("email",), description="Every order from the shop system, tracked or not."),
    ExportFile("order_items", {"order_id": "VARCHAR", "sku": "VARCHAR", "quantity": "INTEGER",
                               "price": "DECIMAL(18,2)"}, ("order_id", "sku")),
    ExportFile("customers", {"customer_id": "VARCHAR", "email": "VARCHAR", "country": "VARCHAR",
                             "created_at": "TIMESTAMPTZ", "marketing_opt_in": "BOOLEAN"},
               ("customer_id",), emails=("email",)),
    ExportFile("consent_changes", {"customer_id": "VARCHAR", "anonymous_id": "VARCHAR", "changed_at": "TIMESTAMPTZ",
                                   "advertising": "BOOLEAN", "analytics": "BOOLEAN", "functional": "BOOLEAN"},
               ("anonymous_id", "changed_at")),
    ExportFile("deletion_requests", {"request_id": "VARCHAR", "customer_id": "VARCHAR", "email": "VARCHAR",
                                     "requested_at": "TIMESTAMPTZ", "type": "VARCHAR"},
               ("request_id",), emails=("email",)),
    ExportFile("influencer_contracts", {"contract_id": "VARCHAR", "handle": "VARCHAR", "link_code": "VARCHAR",
                                        "fee": "DECIMAL(18,2)", "currency": "VARCHAR", "signed_date": "DATE",
                                        "start_date": "DATE", "duration_days": "INTEGER",
                                        "payment_terms": "VARCHAR"}, ("contract_id",)),
    ExportFile("affiliate_terms", {"partner_id": "VARCHAR", "partner_name": "VARCHAR",
                                   "commission_rate": "DECIMAL(9,6)", "currency": "VARCHAR",
                                   "cookie_window_days": "INTEGER", "valid_from": "DATE", "program_id": "VARCHAR"},
               ("partner_id", "valid_from")),
    ExportFile("fx_rates", {"date": "DATE", "currency": "VARCHAR", "usd_per_unit": "DECIMAL(18,6)"},
               ("date", "currency")),
    ExportFile("vendors", {"vendor_id": "VARCHAR", "name": "VARCHAR", "channel": "VARCHAR", "cost_model": "VARCHAR",
                           "rate": "DECIMAL(18,6)", "currency": "VARCHAR", "timezone": "VARCHAR"}, ("vendor_id",)),
    ExportFile("vendor_spend", {"date": "DATE", "vendor_id": "VARCHAR", "campaign_id": "VARCHAR",
                                "campaign_name": "VARCHAR", "impressions": "BIGINT", "clicks": "BIGINT",
                                "spend": "DECIMAL(18,2)", "currency": "VARCHAR"}, ("date", "vendor_id", "campaign_id")),
    ExportFile("holdout_assignments", {"customer_id": "VARCHAR", "platform": "VARCHAR", "is_holdout": "BOOLEAN",
                                       "assigned_at": "TIMESTAMPTZ"}, ("customer_id", "platform"),
               description="Who a platform's conversion-lift study held out of its ads: one row per person of the "
                           "study audience and platform (analytics/incrementality)."),
    ExportFile("invoices", {"invoice_id": "VARCHAR", "account_id": "VARCHAR", "platform": "VARCHAR", "month": "DATE",
                            "amount": "DECIMAL(18,2)", "currency": "VARCHAR", "issued_at": "TIMESTAMPTZ"},
               ("invoice_id",), description="Monthly invoices of the ad platforms, vendors, the affiliate network, "
               "the ESP and influencers, in the account currency."),
)
