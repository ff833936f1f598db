"""`manage.py rebuild_projections [NAME …|--all]`: replay the log from position 0 into projections."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from eventstore.operations import rebuild
from eventstore.subscriptions import get_subscriber, registered_subscribers


class ProgressBar:
    """A one-line progress bar on a terminal; a line every few seconds elsewhere (logs, CI)."""

    width = 40

    def __init__(self, label: str, stream: OutputWrapper) -> None:
        self.label, self.stream = label, stream
        self.interactive = stream.isatty()
        self.last_print = 0.0

    def __call__(self, position: int, head: int) -> None:
        now = time.monotonic()
        if not self.interactive and now - self.last_print < 2 and position < head:
            return
        self.last_print = now
        done = position / head if head else 1.0
        bar = "#" * int(done * self.width)
        line = f"{self.label:<20} [{bar:<{self.width}}] {done:6.1%}  {position:,}/{head:,}"
        self.stream.write(f"\r{line}" if self.interactive else line, ending="" if self.interactive else "\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Rebuild projections from position 0. On PostgreSQL blue/green: the live tables keep serving "
        "until the new generation is swapped in; a rebuild that died resumes (docs/projections.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="projection names (see `manage.py subscribers status`)")
        parser.add_argument("--all", action="store_true", help="rebuild every registered projection")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, names: list[str], all: bool, batch_size: int, **options: Any) -> None:
        if all == bool(names):
            raise CommandError("Name the projections to rebuild, or pass --all (not both).")
        try:
            subscribers = registered_subscribers() if all else [get_subscriber(name) for name in names]
        except LookupError as error:
            raise CommandError(str(error)) from error
        for subscriber in subscribers:
            result = rebuild(subscriber, batch_size=batch_size, progress=ProgressBar(subscriber.name, self.stdout))
            self.stdout.write("")
            if result.resumed_from:
                self.stdout.write(f"{result.name}: resumed from position {result.resumed_from:,}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"{result.name}: {result.events:,} events in {result.seconds:.2f}s "
                    f"({result.events_per_second:,.0f} events/s)"
                )
            )
