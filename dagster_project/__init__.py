"""adledger's Dagster code location: the one place that knows about ingestion, dbt, quality and analytics."""
