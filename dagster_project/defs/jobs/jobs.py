import dagster as dg

#: every asset with every check: what `adledger demo` and `adledger materialize` run
everything = dg.define_asset_job("everything", selection=dg.AssetSelection.all(include_sources=False))
