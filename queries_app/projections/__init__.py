"""Projections: one module each. They learn about the domain only from stored events (type + data)."""
