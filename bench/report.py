"""One table on stdout and the same figures, with every trial, in `bench/results/<timestamp>.json`."""

import json
import math
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class RowResult:
    """One line of the table; `detail` keeps every trial for the JSON."""

    row: str
    what: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: no target could be judged (e.g. not implemented yet)
    detail: dict[str, Any] = field(default_factory=dict)


def fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def verdict(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[met]


def render(rows: list[RowResult]) -> str:
    header = ("#", "what", "ours", "baseline(s)", "ratio", "target", "met?")
    lines = [(r.row, r.what, r.ours, r.baseline, r.ratio, r.target, verdict(r.met)) for r in rows]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    sep = "-+-".join("-" * w for w in widths)
    out = [" | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)), sep]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def machine() -> dict[str, Any]:
    import os

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def write_json(rows: list[RowResult], settings: dict[str, Any], started: datetime) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    body = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "settings": settings,
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(body, indent=2, default=str))
    return path
