"""Per-call cost of ``@timed_task`` and ``timed()``, against what users would otherwise pick.

In one run, interleaved, on the same trivial function: a bare call; a hand-written
``perf_counter`` wrapper (keeps durations in a list: nothing durable); ``codetiming.Timer`` as a
decorator; a wrapper logging one record per call through ``QueueHandler`` to a file;
OpenTelemetry's span decorator with an exporter that drops every span; ``@timed_task`` without
and with a timeout; ``with timed()``; the runtime off switch and ``TASK_TIMING=0``; wrapt's
``FunctionWrapper`` around the same recording, to decide whether wrapt belongs on the hot path;
and the floor, two clock reads and a queue append. Every contender's background work (our
writer's formatting and appending, the log listener, the span processor) is counted: the
clock stops once everything is flushed. Then the recording's hot path, piece by piece, and its
stages: the caller's side alone (rows queued, never written) beside the same inlined to the
bone, then formatting the lines and writing them.

Run: ``pip install -e ".[bench]" && python benchmarks/decorators.py``
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from typing import Any

import wrapt
from _common import queued_file_logger

from pytest_tasktiming import _task_run as _run
from pytest_tasktiming import set_recording, timed, timed_task
from pytest_tasktiming._task_spec import Spec
from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import STARTED, LineFormatter, new_task_id
from pytest_tasktiming.shared_writers import shared_writer, writer_for
from pytest_tasktiming.timeout import watch
from pytest_tasktiming.writer import flush_all

Setup = Callable[[str], tuple[Callable[[], object], Callable[[], None]]]
"""Given a scratch folder: (the call to time, the flush that ends the measurement)."""


def work() -> int:
    return 1


def nothing() -> None:
    pass


# --- contenders -----------------------------------------------------------------------------


def bare(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    return work, nothing


def perf_counter_wrapper(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    durations: list[int] = []
    read = time.perf_counter_ns

    def wrapper() -> int:
        start = read()
        try:
            return work()
        finally:
            durations.append(read() - start)

    return wrapper, nothing


def codetiming_timer(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    from codetiming import Timer

    return Timer(name="work", logger=None)(work), nothing


def logging_per_call(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    log = os.path.join(folder, "log.txt")
    logger, flush = queued_file_logger(log, "%(asctime)s\t%(message)s", f"bench.{folder}")
    read = time.perf_counter_ns

    def wrapper() -> int:
        start = read()
        try:
            return work()
        finally:
            logger.info("work\t%d", read() - start)

    return wrapper, flush


def opentelemetry_span(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class DropEverything(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    # Simple, not Batch: the batch processor drops spans once its queue is full, which
    # would make it look cheaper than recording everything.
    provider.add_span_processor(SimpleSpanProcessor(DropEverything()))
    decorated = provider.get_tracer("bench").start_as_current_span("work")(work)

    def flush() -> None:
        provider.force_flush()
        provider.shutdown()

    return decorated, flush


def decorated(**options: Any) -> Setup:
    def setup(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
        return timed_task(name="work", **options)(work), flush_all

    return setup


def timed_block(**options: Any) -> Setup:
    def setup(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
        def block() -> int:
            with timed("work", **options):
                return work()

        return block, flush_all

    return setup


def switched_off(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    call = timed_task(name="work")(work)
    set_recording(False)

    def flush() -> None:
        set_recording(True)

    return call, flush


def task_timing_0(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    os.environ["TASK_TIMING"] = "0"
    try:
        return timed_task(name="work")(work), nothing
    finally:
        del os.environ["TASK_TIMING"]


def wrapt_function_wrapper(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    """The same recording (``begin``, ``finish``) called from wrapt's ``FunctionWrapper``."""
    spec = Spec(
        "work", mode="code", timeout=None, warning_threshold=0.8, enforce=True,
        max_failures=3, path=None, source="bench",
    )  # fmt: skip
    begin, finish = _run.begin, _run.finish

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        started = begin(spec)
        try:
            value = wrapped(*args, **kwargs)
        except BaseException as error:
            finish(spec, started, error)
            raise
        finish(spec, started)
        return value

    return wrapt.FunctionWrapper(work, wrapper), flush_all


def floor(folder: str) -> tuple[Callable[[], object], Callable[[], None]]:
    """Two clock reads and a deque append: what recording cannot go below."""
    rows: collections.deque[tuple[int, int]] = collections.deque()
    read = time.perf_counter_ns

    def wrapper() -> int:
        start = read()
        value = work()
        rows.append((start, read()))
        return value

    return wrapper, nothing


CONTENDERS: list[tuple[str, Setup]] = [
    ("bare call", bare),
    ("perf_counter wrapper (list)", perf_counter_wrapper),
    ("codetiming.Timer decorator", codetiming_timer),
    ("logging QueueHandler per call", logging_per_call),
    ("OpenTelemetry span, no-op export", opentelemetry_span),
    ("floor: 2 clocks + deque.append", floor),
    ("@timed_task timeout=None", decorated(timeout=None)),
    ("@timed_task (timeout 3600)", decorated()),
    ("@timed_task timeout=10 (limit on file)", decorated(timeout=10)),
    ("@timed_task timeout=None streaks off", decorated(timeout=None, max_failures=0)),
    ("with timed() timeout=None", timed_block(timeout=None)),
    ("with timed() (timeout 3600)", timed_block()),
    ("wrapt FunctionWrapper + same run", wrapt_function_wrapper),
    ("@timed_task, set_recording(False)", switched_off),
    ("@timed_task under TASK_TIMING=0", task_timing_0),
]


def per_call_us(setup: Setup, calls: int) -> tuple[float, float]:
    """Wall and CPU (all of this process's threads) microseconds per call, flush included.

    CPU time is what the machine spends, background threads included, and is barely moved by
    other processes; wall time is what the caller waits.
    """
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TASK_TIMING_FILE"] = os.path.join(folder, "bench.tsv")
        call, flush = setup(folder)
        loop = range(calls)
        cpu = time.process_time_ns()
        start = time.perf_counter_ns()
        for _ in loop:
            call()
        flush()
        elapsed = time.perf_counter_ns() - start
        cpu = time.process_time_ns() - cpu
    return elapsed / calls / 1000, cpu / calls / 1000


def compare(calls: int, repeats: int, only: list[str] | None) -> None:
    chosen = [(name, setup) for name, setup in CONTENDERS if not only or name in only]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in chosen}
    for _ in range(repeats):  # interleaved: drift in machine load hits every contender alike
        for name, setup in chosen:
            try:
                samples[name].append(per_call_us(setup, calls))
            except ImportError as missing:
                print(f"skipping {name}: {missing} (pip install -e '.[bench]')")
                samples[name] = []
    median = statistics.median
    wall = {name: median(v[0] for v in values) for name, values in samples.items() if values}
    cpu = {name: median(v[1] for v in values) for name, values in samples.items() if values}
    base_wall = wall.get("perf_counter wrapper (list)", float("nan"))
    base_cpu = cpu.get("perf_counter wrapper (list)", float("nan"))
    print(f"\n{calls:,} calls x {repeats} repeats, median; background work included")
    print("ratios are to the hand-written perf_counter wrapper\n")
    print(f"{'contender':38} {'wall us':>8} {'ratio':>7} {'CPU us':>8} {'ratio':>7}")
    for name, wall_us in wall.items():
        print(
            f"{name:38} {wall_us:>8.3f} {wall_us / base_wall:>6.1f}x "
            f"{cpu[name]:>8.3f} {cpu[name] / base_cpu:>6.1f}x"
        )


# --- the hot path, piece by piece -----------------------------------------------------------


def hot_path(calls: int) -> None:
    """What one recorded call spends where: each step alone, best of 5."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TASK_TIMING_FILE"] = os.path.join(folder, "bench.tsv")
        writer = shared_writer()
        now = clock.wall_ns()
        row = (now, "code", "abc-1", now, None, None, "work", STARTED)
        tracker = _run.streaks
        pieces = {
            "new_task_id()": new_task_id,
            "clock.wall_ns() + clock.mono_ns()": lambda: (clock.wall_ns(), clock.mono_ns()),
            "the writer lookup (writer_for)": lambda: writer_for(None),
            "writer.put(row), caller side": lambda: writer.put(row),
            "streak bookkeeping (record_success)": lambda: tracker.record_success("work"),
            "watch(3600) + cancel()": lambda: watch("work", 3600).cancel(),
            "an empty lambda (call overhead)": lambda: None,
        }
        print(f"\nhot path pieces, {calls:,} each, best of 5 (includes one lambda call)\n")
        for name, piece in pieces.items():
            best = min(timeit.repeat(piece, number=calls, repeat=5)) / calls * 1e6
            print(f"{name:38} {best:>8.3f} us")
        writer.flush()
        line = writer._formatter.line
        final = (now, "code", "abc-1", now, now + 1500, 1500, "work", "completed")
        best = min(timeit.repeat(lambda: line(final), number=calls, repeat=5)) / calls * 1e6
        print(f"{'LineFormatter.line(row), writer thread':38} {best:>8.3f} us  (x2 rows per call)")


def inlined_caller(rows: collections.deque[Any]) -> Callable[[], int]:
    """The least a recorded call must do in its caller, inlined: no function calls."""
    prefix, counter = "0123456789ab", itertools.count(1)
    environ: Any = getattr(os.environ, "_data", os.environ)
    key = next(iter(environ))  # any key: the lookup is what costs
    wall, mono, append = time.time_ns, time.perf_counter_ns, rows.append

    def wrapper() -> int:
        task_id = f"{prefix}-{next(counter)}"
        environ.get(key)
        start, started = wall(), mono()
        append((start, "code", task_id, start, None, None, "work", STARTED))
        value = work()
        duration = mono() - started
        end = start + duration
        append((end, "code", task_id, start, end, duration, "work", "completed"))
        return value

    return wrapper


def stages(calls: int) -> None:
    """A recorded call's cost split into the caller's side and each step of the writer's."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TASK_TIMING_FILE"] = os.path.join(folder, "bench.tsv")
        decorated_work = timed_task(timeout=None)(work)
        decorated_work()
        flush_all()
        writer = shared_writer()
        rows: collections.deque[Any] = collections.deque()
        writer.put = rows.append  # type: ignore[method-assign]  # the caller's side alone
        contenders = {
            "caller's side of @timed_task(timeout=None)": decorated_work,
            "floor: the same inlined, no calls": inlined_caller(rows),
        }
        per_call = {name: [] for name in [*contenders, "format 2 lines", "join+encode+write"]}
        for _ in range(5):
            for name, call in contenders.items():
                rows.clear()
                cpu = time.process_time_ns()
                for _ in range(calls):
                    call()
                per_call[name].append(time.process_time_ns() - cpu)
            batch = list(rows)  # the inlined caller's rows: as many, as cold
            cpu = time.process_time_ns()
            lines = LineFormatter().lines(batch)
            per_call["format 2 lines"].append(time.process_time_ns() - cpu)
            cpu = time.process_time_ns()
            with open(os.path.join(folder, "stage.tsv"), "ab") as out:
                out.write("".join(lines).encode())
            per_call["join+encode+write"].append(time.process_time_ns() - cpu)
        del writer.put
    print(f"\nstages of a recorded call, {calls:,} calls, median of 5 (CPU)\n")
    for name, samples in per_call.items():
        print(f"{name:44} {statistics.median(samples) / calls / 1000:>8.3f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="contender names to run (default: all)")
    parser.add_argument("--no-pieces", action="store_true", help="skip the hot-path breakdown")
    args = parser.parse_args()
    compare(args.calls, args.repeats, args.only)
    if not args.no_pieces:
        hot_path(args.calls)
        stages(args.calls)


if __name__ == "__main__":
    main()
