"""What the rows share: the run's config, its log directory, and the services it started."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.clients import ClientPool
from bench.config import BenchConfig
from bench.loadgen import LoadGenerator
from bench.services import Managed


@dataclass
class Bench:
    config: BenchConfig
    log_dir: Path
    # Started by bench.run for the rows that need them (see `pool` and `loadgen`).
    client_pool: ClientPool | None = None
    load_generator: LoadGenerator | None = None
    token: str = ""
    ours_port: int = 0
    base_port: int = 0
    processes: list[Managed] = field(default_factory=list)

    started: float = field(default_factory=time.monotonic)

    @property
    def pool(self) -> ClientPool:
        if self.client_pool is None:
            raise RuntimeError("this row needs the client pool, which is not running now")
        return self.client_pool

    @property
    def loadgen(self) -> LoadGenerator:
        if self.load_generator is None:
            raise RuntimeError("this row needs the HTTP load generator, which is not running now")
        return self.load_generator

    def say(self, message: str) -> None:
        print(f"[bench {time.monotonic() - self.started:6.1f}s] {message}", flush=True)
