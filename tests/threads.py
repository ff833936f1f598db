"""Races for tests: run one piece of work in several threads released at the same moment."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def in_threads(work: Callable[[int], Any], count: int) -> list[Any]:
    """Run `work(n)` for n in 0..count-1, each in its own thread, all started together by a barrier.

    Returns their results in order; a thread that raised has its exception in its place, for the
    test to assert on. Each thread closes its database connections, so none outlives the test.
    """
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        try:
            start.wait(10)
            results[n] = work(n)
        except Exception as error:  # noqa: BLE001 - reported to the test, which asserts on it
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
