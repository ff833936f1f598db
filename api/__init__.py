"""What every HTTP surface shares: the write side's commands, the read side's queries, the event log.

- `errors`: the one DRF exception handler (`REST_FRAMEWORK["EXCEPTION_HANDLER"]`) and the
  error bodies it builds, as serializers for the schema;
- `openapi`: the schema class (`REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`) that documents the
  error responses every endpoint shares;
- `serializers`: strict input fields that refuse what they do not know;
- `parsing`: strict query and path parameters: whole numbers, positions, date-times in UTC.

Not a Django app (no models). It may import `eventstore` and the write side's error types
(`commands_app.framework.errors`, `commands_app.idempotency`), which it maps to statuses;
never a domain, a view or a read model (`lint-imports` checks it).
"""
