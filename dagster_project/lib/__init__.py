"""Reusable machinery for the code location: environment, key conventions, the dbt project, quality runners."""
