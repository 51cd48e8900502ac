"""Reconciliations between sources: the spend a platform reported against what it invoiced.

The tolerance itself is dbt's (var `reconciliation_spend_tolerance`, applied in `mart_spend_reconciliation.status`),
so this suite does not restate it: it expects every platform × account × month to be reconciled (`ok`), still
awaiting its invoice, or without spend. A real discrepancy is a finding for finance, not bad data, so the suite
warns and blocks nothing.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.spec import SuiteSpec

#: statuses that need no one's attention
RECONCILED = ("ok", "awaiting_invoice", "no_spend")


def _spend_rules() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToMatchRegex(column="reconciliation",
                                                       regex=f"= (?:{'|'.join(RECONCILED)})$"),
    ]


SUITES = (
    SuiteSpec(
        name="spend_platform_vs_invoice",
        asset=("marts", "mart_spend_reconciliation"),
        description="Spend the platform reported against its invoice: every account-month within the spend "
        "tolerance (var reconciliation_spend_tolerance), or still awaiting its invoice.",
        row_query="select platform || ' ' || account_id || ' ' || cast(month as varchar) || ' = ' || status "
        "as reconciliation from marts.mart_spend_reconciliation order by platform, account_id, month",
        expectations=_spend_rules,
        blocking=False,
    ),
)
