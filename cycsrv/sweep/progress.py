"""How a sweep shows its progress: a rich bar on a terminal, one JSON line per finished run otherwise."""

from __future__ import annotations

import math
from typing import Any, Protocol, TextIO

import attrs
import orjson


@attrs.define
class Counts:
    """Runs of this sweep so far: `total` distinct runs, `skipped` already done before it started."""

    total: int
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    running: int = 0

    @property
    def finished(self) -> int:
        return self.skipped + self.ok + self.failed


class Reporter(Protocol):
    """What the driver tells whoever watches the sweep."""

    def start(self, counts: Counts) -> None: ...
    def finished(self, row: dict[str, Any], counts: Counts) -> None: ...
    def update(self, counts: Counts) -> None: ...
    def close(self) -> None: ...


class Silent:
    """Shows nothing (the Python API's default)."""

    def start(self, counts: Counts) -> None:
        pass

    def finished(self, row: dict[str, Any], counts: Counts) -> None:
        pass

    def update(self, counts: Counts) -> None:
        pass

    def close(self) -> None:
        pass


class JsonLines:
    """One JSON object per finished run on `stream`, for logs and scripts."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def start(self, counts: Counts) -> None:
        pass

    def finished(self, row: dict[str, Any], counts: Counts) -> None:
        line = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        line.update(finished=counts.finished, total=counts.total)
        self.stream.write(orjson.dumps(line).decode() + "\n")
        self.stream.flush()

    def update(self, counts: Counts) -> None:
        pass

    def close(self) -> None:
        pass


class Bar:
    """A rich progress bar on a terminal: runs finished of total, failed, running, elapsed and ETA."""

    def __init__(self, stream: TextIO) -> None:
        from rich import progress as rp
        from rich.console import Console

        self.progress = rp.Progress(
            rp.TextColumn("[bold]sweep"), rp.BarColumn(), rp.MofNCompleteColumn(),
            rp.TextColumn("[green]{task.fields[ok]} ok[/] [red]{task.fields[failed]} failed[/] "
                          "[cyan]{task.fields[running]} running[/]"),
            rp.TimeElapsedColumn(), rp.TextColumn("ETA"), rp.TimeRemainingColumn(),
            console=Console(file=stream), transient=False)
        self.task: Any = None

    def start(self, counts: Counts) -> None:
        self.progress.start()
        self.task = self.progress.add_task("sweep", total=counts.total, completed=counts.finished,
                                           ok=counts.ok + counts.skipped, failed=counts.failed, running=0)

    def finished(self, row: dict[str, Any], counts: Counts) -> None:
        if row.get("status") == "failed":
            from rich.markup import escape

            self.progress.console.print(f"[red]run {row['run_id']} failed:[/] {escape(str(row.get('error')))}",
                                        highlight=False)
        self.progress.update(self.task, advance=1, ok=counts.ok + counts.skipped, failed=counts.failed,
                             running=counts.running)

    def update(self, counts: Counts) -> None:
        self.progress.update(self.task, running=counts.running)

    def close(self) -> None:
        self.progress.stop()
