"""What good data is: Great Expectations suites as code (`expectations/suites/`) and the runner that validates
warehouse tables through GX's pandas path (DuckDB → Arrow → pandas in batches) and records every result in
`quality.validation_results`."""
