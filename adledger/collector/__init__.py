"""The tracker: a Segment-compatible event collector and a consent-aware page snippet.

`adledger collect` runs `server.serve`; `app.CollectorApp` is the ASGI app; `eventlog.EventLog` writes the
durable hourly JSON-lines files the tracker ingestion reads; `validation` holds the event contract and
`enrich` what the server adds. `static/snippet.js` is the page snippet, served at `/snippet.js`.
"""
