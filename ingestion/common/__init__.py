"""What the ad-platform API sources share: the retrying HTTP session, auth, clear errors and the report window.

Each source package (`ingestion/<source>/`) keeps its own `@dlt.source`/`@dlt.resource` functions and API
helpers; only the machinery every API needs in the same way lives here.
"""
