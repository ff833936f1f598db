"""The read side: read models, the projections that keep them, and the query API."""
