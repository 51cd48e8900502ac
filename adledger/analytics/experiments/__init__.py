"""A/B and multivariate experiments: significance, Bayesian chance to beat control, SRM, power.

Public API: `analyze_experiment(variants, alpha=0.05, min_effect=0.1, power_target=0.8,
metric="conversion")` -> one row per variant with the columns of `mart_experiment_results`
(see `adledger.analytics.experiments.analysis`), `DECISIONS`, and `ExperimentDataError`
(a ValueError) for bad input.
"""

from adledger.analytics.experiments.analysis import DECISIONS, ExperimentDataError, analyze_experiment

__all__ = ["DECISIONS", "ExperimentDataError", "analyze_experiment"]
