"""dlt sources and pipelines that fill the `raw_<source>` schemas of the warehouse.

One package per source system (`ingestion/<source>/`); `ingestion.pipelines` builds pipelines and destinations.
Source modules never build pipelines themselves, so Dagster, a notebook or another orchestrator can run them.
"""
