"""HTTP load: N concurrent clients spread over a few processes, each thread one connection.

Clients are closed-loop (send, wait for the answer, send again), like users behind a
form. Processes, because the client's own GIL must not cap the server; a thread each
within them, because a request spends its time waiting on the socket.
"""

import http.client
import json
import multiprocessing
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bench.stats import percentile


@dataclass
class Load:
    """One trial's outcome: requests/s, latencies and failures."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def p(self, pct: float) -> float:
        return percentile(self.latencies_ms, pct)


def _request(plan: str, n: int, paths: Sequence[str]) -> tuple[str, str, str | None]:
    if plan == "register":
        # A fresh email each time: emails are unique per customer.
        customer = {"name": "Ada Lovelace", "email": f"ada-{uuid.uuid4().hex}@example.com"}
        return "POST", "/api/commands/register-customer/", json.dumps(customer)
    if plan == "crud_create":
        body: dict[str, object] = {
            "stream_type": "Customer",
            "stream_id": str(uuid.uuid4()),
            "version": 1,
            "event_type": "CustomerRegistered",
            "data": {"name": "Ada Lovelace", "email": f"ada-{uuid.uuid4().hex}@example.com"},
            "metadata": {"user": "bench"},
        }
        return "POST", "/bench-crud/events/", json.dumps(body)
    return "GET", paths[n % len(paths)], None


def _client(
    port: int, token: str, plan: str, paths: list[str], offset: int, start_at: float, seconds: float, out: Load
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"}
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    n = offset
    while time.time() < deadline:
        method, path, body = _request(plan, n, paths)
        n += 7919  # a prime stride: clients walk the path list apart from one another
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            ok = 200 <= response.status < 300
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            ok, payload = False, repr(error).encode()
        if ok:
            out.latencies_ms.append((time.perf_counter() - started) * 1000)
        else:
            out.errors += 1
            out.first_error = out.first_error or payload[:300].decode(errors="replace")
    conn.close()


def _process(
    port: int, token: str, plan: str, paths: list[str], threads: int, first: int, start_at: float, seconds: float
) -> Load:
    results = [Load(seconds) for _ in range(threads)]
    workers = [
        threading.Thread(target=_client, args=(port, token, plan, paths, (first + i) * 101, start_at, seconds, out))
        for i, out in enumerate(results)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    merged = Load(seconds)
    for result in results:
        merged.latencies_ms += result.latencies_ms
        merged.errors += result.errors
        merged.first_error = merged.first_error or result.first_error
    return merged


class LoadGenerator:
    """A pool of load processes that outlives the trials (no spawn cost inside a trial)."""

    def __init__(self, processes: int = 2) -> None:
        self.processes = processes
        self.executor = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))

    def run(self, port: int, token: str, plan: str, clients: int, seconds: float, paths: Sequence[str] = ()) -> Load:
        procs = min(self.processes, clients)
        per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        start_at = time.time() + 0.3
        firsts = [sum(per[:i]) for i in range(procs)]
        futures = [
            self.executor.submit(_process, port, token, plan, list(paths), per[i], firsts[i], start_at, seconds)
            for i in range(procs)
        ]
        total = Load(seconds)
        for future in futures:
            part = future.result()
            total.latencies_ms += part.latencies_ms
            total.errors += part.errors
            total.first_error = total.first_error or part.first_error
        return total

    def close(self) -> None:
        self.executor.shutdown()
