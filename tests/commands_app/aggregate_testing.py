"""Given events / when command / then events, for aggregates, without a database."""

from commands_app.framework.aggregate import A, Aggregate


def given(aggregate_type: type[A], *events: object, aggregate_id: str = "agg-1") -> A:
    aggregate = aggregate_type(aggregate_id)
    for version, event in enumerate(events, start=1):
        aggregate.replay(event, version)
    return aggregate


def then(aggregate: Aggregate) -> list[object]:
    return list(aggregate.pending_events)
