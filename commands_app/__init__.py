"""The write side: commands, the command bus, aggregates and their HTTP endpoints."""
