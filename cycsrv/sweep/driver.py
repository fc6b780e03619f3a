"""Run a sweep on dask.distributed: plan and check the scenarios, skip finished runs, submit the rest, keep a summary.

With no cluster given, an embedded `LocalCluster` of worker processes; otherwise any Dask
scheduler by address or scheduler file. Dask does all the scheduling: a task whose worker dies
is rerun on another (up to `distributed.scheduler.allowed-failures` times).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from cycsrv.sweep.outdir import OutDir, read_summary, write_summary
from cycsrv.sweep.progress import Counts, Reporter, Silent
from cycsrv.sweep.sampling import scenario_values
from cycsrv.sweep.scenario import Scenario, check_scenarios, make_scenarios
from cycsrv.sweep.spec import Sweep, load_sweep
from cycsrv.sweep.worker import RunTask, run_task

if TYPE_CHECKING:
    from distributed import Client, Future

#: How often the summary is rewritten while runs finish, so a killed client loses little.
SUMMARY_EVERY = 5.0
#: How often the scheduler is asked how many runs are executing.
POLL_EVERY = 0.5
#: Extra attempts for a task that raised (bad runs do not raise; this covers the unexpected).
TASK_RETRIES = 1


@attrs.frozen
class SweepResult:
    """What a sweep left: the summary table (also in `outdir/summary.parquet`) and the counts."""

    summary: pa.Table
    outdir: Path
    counts: Counts
    interrupted: bool = False


@contextmanager
def open_client(*, workers: int | None = None, scheduler: str | None = None,
                scheduler_file: str | None = None, dashboard: bool = True) -> Iterator[Client]:
    """A Dask client: to the scheduler at `scheduler` or in `scheduler_file`, else to an embedded
    `LocalCluster` of `workers` single-threaded processes on 127.0.0.1 (default: one per core)."""
    from distributed import Client, LocalCluster

    if scheduler or scheduler_file:
        with Client(scheduler, scheduler_file=scheduler_file) as client:
            yield client
        return
    import dask

    n = workers or os.cpu_count() or 1
    # the workers' statistical profiler samples every run's stack 100 times a second: a few % of
    # the CPU a run needs, for a dashboard tab a sweep of long runs has little use for
    config = dask.config.merge(dask.config.config, {"distributed": {"worker": {"profile": {"enabled": False}}}})
    # without the dashboard the scheduler still serves a little HTTP (health, metrics): any free port
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:8787" if dashboard else "127.0.0.1:0",
                      scheduler_kwargs={"dashboard": dashboard}, silence_logs=logging.ERROR,
                      preload=["cycsrv.sweep.workerinit"], config=config) as cluster, Client(cluster) as client:
        yield client


def dashboard_link(client: Client) -> str | None:
    """The Dask dashboard's address, or None if the scheduler serves none."""
    if not client.scheduler_info().get("services", {}).get("dashboard"):
        return None
    return client.dashboard_link


def run_sweep(sweep: Sweep | str | os.PathLike[str], outdir: str | os.PathLike[str], *,
              client: Client | None = None, workers: int | None = None, scheduler: str | None = None,
              scheduler_file: str | None = None, dashboard: bool = True, reporter: Reporter | None = None,
              echo: Callable[[str], None] | None = None) -> SweepResult:
    """Run every scenario of `sweep` into `outdir` and return the summary.

    Scenarios are checked before anything is submitted (raising `SweepError`); runs whose output
    and summary row already exist are skipped. On KeyboardInterrupt the unfinished runs are
    cancelled, the summary of what finished is written, and the interrupt is re-raised.
    """
    if sum(x is not None for x in (client, workers, scheduler, scheduler_file)) > 1:
        raise ValueError("give at most one of client, workers, scheduler and scheduler_file")
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    say = echo or (lambda _msg: None)
    out = OutDir(Path(outdir).resolve())
    scenarios = make_scenarios(sweep, scenario_values(sweep))
    discarded = out.prepare()
    check_scenarios(sweep, scenarios, out.inputs)
    plan = _Plan(sweep, out, scenarios)
    counts = Counts(total=len(scenarios), skipped=len(plan.rows))
    say(f"{len(scenarios)} runs: {counts.skipped} already done, {len(plan.tasks)} to run"
        + (f" ({discarded} partial files discarded)" if discarded else ""))
    if not plan.tasks:
        return SweepResult(plan.write(), out.root, counts)
    if client is None:
        embedded = not (scheduler or scheduler_file)
        with open_client(workers=workers, scheduler=scheduler, scheduler_file=scheduler_file,
                         dashboard=dashboard) as own:
            return _execute(own, plan, counts, reporter or Silent(), say, dashboard or not embedded)
    return _execute(client, plan, counts, reporter or Silent(), say, True)


@attrs.define
class _Plan:
    """Which runs are done (their summary rows) and which still need a task."""

    sweep: Sweep
    out: OutDir
    scenarios: list[Scenario]
    rows: dict[str, dict[str, Any]] = attrs.field(init=False)
    tasks: list[RunTask] = attrs.field(init=False)
    previous: dict[str, dict[str, Any]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        previous, old_sql = read_summary(self.out.summary)
        sqls = {m.name: m.sql for m in self.sweep.metrics}
        same_metrics = all(old_sql.get(name) == sql for name, sql in sqls.items())
        self.rows, self.tasks = {}, []
        for s in self.scenarios:
            output = self.out.output(s.run_id)
            old = previous.get(s.run_id)
            if output.is_file() and old is not None and old.get("status") == "ok" and same_metrics:
                self.rows[s.run_id] = self.row(s, old)
                continue
            self.tasks.append(RunTask(
                s.run_id, str(self.out.inputs / f"{s.run_id}.xml"), self.sweep.input, str(output),
                tuple(sqls.items()), simulate=not output.is_file()))
        self.previous = previous

    def row(self, scenario: Scenario, result: Mapping[str, Any]) -> dict[str, Any]:
        """A summary row: the fixed columns, the scenario's parameters, the metrics."""
        metrics = result.get("metrics")
        if metrics is None:  # a row read back from an earlier summary
            metrics = {m: result.get(m) for m in self.sweep.metric_names}
        row = {k: result.get(k) for k in ("run_id", "status", "error", "seconds")}
        row.update(scenario.values)
        row.update(metrics)
        return row

    def write(self) -> pa.Table:
        """Write the summary of the finished runs, in scenario order."""
        rows = [self.rows[s.run_id] for s in self.scenarios if s.run_id in self.rows]
        return write_summary(self.out.summary, self.sweep, rows)


def _execute(client: Client, plan: _Plan, counts: Counts, reporter: Reporter,
             say: Callable[[str], None], show_dashboard: bool) -> SweepResult:
    from distributed import as_completed

    link = dashboard_link(client) if show_dashboard else None
    if link:
        say(f"dask dashboard: {link}")
    by_id = {s.run_id: s for s in plan.scenarios}
    token = uuid.uuid4().hex[:8]
    futures: dict[Future, RunTask] = {}
    for task in plan.tasks:
        fut = client.submit(run_task, task, key=f"cycsrv-run-{task.run_id}-{token}", pure=False,
                            retries=TASK_RETRIES)
        futures[fut] = task
    pending = set(futures)
    keys = {f.key for f in pending}
    reporter.start(counts)
    interrupted = False
    last_poll = last_write = time.monotonic()
    try:
        with _ctrl_c_as_flag() as stop:
            done = as_completed(list(futures))
            while pending and not stop.is_set():
                batch = done.next_batch(block=False)
                for fut in batch:
                    pending.discard(fut)
                    keys.discard(fut.key)
                    task = futures[fut]
                    row = plan.row(by_id[task.run_id], _result(fut, task))
                    if not task.simulate:  # only the metrics ran: keep the simulation's time, if known
                        row["seconds"] = (plan.previous.get(task.run_id) or {}).get("seconds")
                    plan.rows[task.run_id] = row
                    if row["status"] == "ok":
                        counts.ok += 1
                    else:
                        counts.failed += 1
                    counts.running = max(counts.running - 1, 0)
                    reporter.finished(row, counts)
                now = time.monotonic()
                if now - last_poll >= POLL_EVERY:
                    counts.running = _running(client, keys)
                    reporter.update(counts)
                    last_poll = now
                if batch and now - last_write >= SUMMARY_EVERY:
                    plan.write()
                    last_write = now
                if not batch:
                    time.sleep(0.05)
            if pending:  # Ctrl-C
                interrupted = True
                client.cancel(list(pending))
    except KeyboardInterrupt:  # a second Ctrl-C, or run_sweep called off the main thread
        interrupted = True
        client.cancel(list(pending))
    finally:
        reporter.close()
        table = plan.write()
    if interrupted:
        raise SweepInterrupted(SweepResult(table, plan.out.root, counts, interrupted=True))
    return SweepResult(table, plan.out.root, counts)


@contextmanager
def _ctrl_c_as_flag() -> Iterator[threading.Event]:
    """While the sweep waits, the first Ctrl-C sets a flag the loop checks, so the interrupt is
    taken between polls rather than wherever the main thread is (inside a Dask client call, say);
    a second Ctrl-C raises as usual. Off the main thread, or under a handler of the caller's
    own, nothing is changed."""
    stop = threading.Event()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield stop
        return

    def on_sigint(_signum: int, _frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep; `.result` is what finished (also written to the summary)."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__(f"interrupted: {result.counts.finished} of {result.counts.total} runs finished")
        self.result = result


def _result(fut: Future, task: RunTask) -> dict[str, Any]:
    """The task's row; a task Dask gave up on (its workers kept dying, it raised) becomes a failed row."""
    from distributed import KilledWorker

    if fut.status == "finished":
        return fut.result()
    exc = fut.exception()
    if isinstance(exc, KilledWorker):
        error = "the workers running it died too often (KilledWorker); see distributed.scheduler.allowed-failures"
    else:
        error = f"{type(exc).__name__}: {exc}"
    return {"run_id": task.run_id, "status": "failed", "error": error, "seconds": None, "metrics": {}}


def _running(client: Client, keys: set[Any]) -> int:
    """How many of `keys` workers are executing now (at most one per worker thread)."""
    if not keys:
        return 0
    nthreads = client.nthreads()
    return sum(min(sum(1 for k in ks if k in keys), nthreads.get(w, 1))
               for w, ks in client.processing().items())
