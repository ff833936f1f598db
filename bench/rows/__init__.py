"""One module per row of the table; each exposes `run(bench) -> RowResult | list[RowResult]`."""
