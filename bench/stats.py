"""Medians, percentiles and the A B A B trial loop every row uses."""

import statistics
from collections.abc import Callable, Sequence
from typing import Any


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; enough for p50/p99 of thousands of samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("nan")


def alternate(trials: int, sides: dict[str, Callable[[], Any]]) -> dict[str, list[Any]]:
    """Run each side once per trial, in turn (A B A B …), so drift hits every side alike."""
    results: dict[str, list[Any]] = {name: [] for name in sides}
    for _ in range(trials):
        for name, run in sides.items():
            results[name].append(run())
    return results
