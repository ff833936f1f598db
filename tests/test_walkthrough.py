"""The README's walkthrough, run as written against a `make run`-style embedded server.

The walkthrough's shell block is taken from README.md and run by bash, unchanged but for the
port (`localhost:8000` becomes the server's free port). It is split at its expectation lines
(`# {…}`): each expectation is checked against the last JSON document the commands before it
printed. An expectation is a JSON object with three shorthands: `, …}` means "other fields may
follow", `, …]` "other elements may follow", and a string ending in `…` matches any string that
starts with what comes before it.

Then the saga's speed on the embedded default (printed, not asserted): 20 orders placed, each timed from its
`place-order` answer to the moment the read side shows it confirmed.
"""

import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.embedded import ROOT, embedded_server

pytestmark = pytest.mark.worker

SENTINEL = "@@walkthrough-step@@"


def walkthrough_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walkthrough with curl", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None, "the walkthrough has no ```sh block"
    return found.group(1)


def steps(block: str) -> list[tuple[str, str | None]]:
    """(shell text, the expectation after it or None), in order."""
    found: list[tuple[str, str | None]] = []
    lines: list[str] = []
    for line in block.splitlines():
        if line.startswith("# {"):
            found.append(("\n".join(lines), line[2:]))
            lines = []
        else:
            lines.append(line)
    found.append(("\n".join(lines), None))
    return found


def parse_expectation(text: str) -> dict:
    return json.loads(text.replace(", …}", "}").replace(", …]", "]"))


def last_json_document(output: str):
    decoder, last, index = json.JSONDecoder(), None, 0
    while (index := output.find("{", index)) != -1:
        try:
            last, end = decoder.raw_decode(output, index)
            index = end
        except ValueError:
            index += 1
    return last


def matches(expected, actual) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):  # a prefix: `, …]` lets more elements follow
        return isinstance(actual, list) and len(actual) >= len(expected) and all(map(matches, expected, actual))
    if isinstance(expected, str) and expected.endswith("…"):
        return isinstance(actual, str) and actual.startswith(expected[:-1])
    return expected == actual


def test_the_expectation_shorthands():
    assert matches(parse_expectation('{"id": "0b6f…", "n": 1, …}'), {"id": "0b6f3d", "n": 1, "x": 2})
    assert not matches(parse_expectation('{"id": "0b6f…", …}'), {"id": "1b6f"})
    assert not matches(parse_expectation('{"n": 1}'), {"n": 2})
    assert matches(parse_expectation('{"r": [{"a": 1, …}, …]}'), {"r": [{"a": 1, "b": 2}, {"a": 3}]})
    assert not matches(parse_expectation('{"r": [{"a": 1, …}, …]}'), {"r": [{"a": 2}]})
    assert last_json_document('HTTP/1.1 200 OK\r\nX: {\r\n\r\n{"a": 1}') == {"a": 1}


def get_json(base_url: str, path: str, token: str) -> dict:
    """The answer's body; {} for a 404 (not projected yet)."""
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return {}
        raise


def post_json(base_url: str, path: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def token_for(base_url: str) -> str:
    request = urllib.request.Request(
        base_url + "/api/auth/token/",
        data=json.dumps({"username": "demo", "password": "demo-password"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def saga_confirmation_seconds(base_url: str, token: str, orders: int = 20) -> list[float]:
    customer = "6f1c1a52-0a38-4c1e-9b55-3b1d1b7f0c01"
    seconds = []
    for _ in range(orders):
        order = str(uuid.uuid4())
        items = [{"sku": "PEN", "quantity": 1, "unit_price": "1.50"}]
        post_json(
            base_url, "/api/commands/place-order/", token, {"order_id": order, "customer_id": customer, "items": items}
        )
        placed = time.monotonic()
        while get_json(base_url, f"/api/orders/{order}/", token).get("status") != "confirmed":
            assert time.monotonic() - placed < 20, f"order {order} not confirmed within 20 s"
            time.sleep(0.05)  # a tighter poll only competes with the worker for SQLite
        seconds.append(time.monotonic() - placed)
    return seconds


def test_the_readme_walkthrough_runs_as_written_on_the_embedded_default(tmp_path: Path):
    block = walkthrough_block()
    parts = steps(block)
    assert sum(expected is not None for _, expected in parts) >= 8
    assert not re.search(r"^\s*sleep\b", block, re.M), "the walkthrough waits with ?min_position=, never with sleep"

    with embedded_server(tmp_path / "var") as server:
        script = "set -eo pipefail\n"
        for index, (shell, _) in enumerate(parts):
            script += shell.replace("localhost:8000", f"localhost:{server.port}") + f"\necho; echo {SENTINEL}{index}\n"
        run = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=180
        )
        assert run.returncode == 0, f"the walkthrough failed:\n{run.stdout}\n{run.stderr}"
        outputs = re.split(rf"\n{SENTINEL}\d+\n", run.stdout)
        for (shell, expected), output in zip(parts, outputs, strict=False):
            if expected is None:
                continue
            actual = last_json_document(output)
            assert matches(parse_expectation(expected), actual), (
                f"after\n{shell.strip()}\nexpected {expected}\ngot {output.strip()}"
            )
        assert re.search(r"^X-Correlation-ID: walkthrough-order-1\r?$", run.stdout, re.M | re.I)

        # The saga's speed, reported and not asserted (no timing asserts in the suite; run with
        # -s to read it): #14 asks for p95 <= 1 s from the place-order answer to `confirmed`.
        seconds = sorted(saga_confirmation_seconds(server.base_url, token_for(server.base_url)))
        p95 = seconds[int(len(seconds) * 0.95) - 1]
        print(f"saga confirmation on the embedded default: p50 {seconds[len(seconds) // 2]:.3f}s p95 {p95:.3f}s")
