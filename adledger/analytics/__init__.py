"""Analytics on the marts: attribution, experiments, incrementality, creative fatigue, optimization.

Plain Python (numpy, scipy, pandas, pyarrow); nothing here imports Dagster, so the same functions run
from a notebook, a script, the `adledger` CLI or a Dagster asset. Functions take and return pandas
DataFrames (or Arrow tables) with the columns their docstrings list. Import the sub-package you need,
e.g. `from adledger.analytics.attribution import attribute`; this package imports nothing eagerly.
"""
