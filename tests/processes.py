"""Child processes a test starts (a server, a worker) and always stops, with their whole group."""

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def process(command: list[str], log: Path, **popen) -> Iterator[subprocess.Popen]:
    """`command` running, its output in `log`; stopped with SIGTERM (SIGKILL after 20 s) on the way out."""
    with open(log, "w") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
