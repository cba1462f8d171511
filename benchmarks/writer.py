"""Writer throughput and the caller's enqueue latency, against what users would otherwise pick.

Compares, in one run and on the same rows: ``AsyncBufferedWriter``; ``logging``'s
``QueueHandler`` + ``QueueListener`` with a ``FileHandler``; a writer that takes a ``filelock``
and appends per row; and the floor, one thread writing pre-formatted lines in one go.
Throughput counts until every row is in the file. Run: ``python benchmarks/writer.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

import filelock
from _common import queued_file_logger

from pytest_tasktiming import AsyncBufferedWriter
from pytest_tasktiming.records import LineFormatter, RawRow, new_task_id

Sink = Callable[[RawRow], None]


def make_rows(count: int) -> list[RawRow]:
    """Rows as recorders make them: a ``started`` row, then its final row, for each task."""
    now = time.time_ns()
    rows: list[RawRow] = []
    for index in range(count // 2):
        start, task_id, task = now + index * 1000, new_task_id(), f"task-{index % 50}"
        rows.append((start, "code", task_id, start, None, None, task, "started"))
        end = start + 1500 + index
        rows.append((end, "code", task_id, start, end, end - start, task, "completed"))
    return rows


def drive(put: Sink, rows: list[RawRow], threads: int) -> list[int]:
    """Put ``rows`` from ``threads`` threads at once; return every put's latency in ns."""
    share = len(rows) // threads
    latencies: list[list[int]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads)

    def produce(index: int) -> None:
        mine = rows[index * share : (index + 1) * share]
        out = latencies[index]
        clock = time.perf_counter_ns
        barrier.wait()
        for row in mine:
            before = clock()
            put(row)
            out.append(clock() - before)

    workers = [threading.Thread(target=produce, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [value for chunk in latencies for value in chunk]


def run_ours(path: str, rows: list[RawRow], threads: int) -> list[int]:
    writer = AsyncBufferedWriter(path)
    latencies = drive(writer.put, rows, threads)
    writer.close()
    return latencies


def run_logging(path: str, rows: list[RawRow], threads: int) -> list[int]:
    logger, stop = queued_file_logger(path, "%(message)s", f"bench-{id(rows)}-{threads}")
    fmt = "\t".join(["%s"] * 8)
    latencies = drive(lambda row: logger.info(fmt, *row), rows, threads)
    stop()
    return latencies


def run_lock_per_row(path: str, rows: list[RawRow], threads: int) -> list[int]:
    lock = filelock.FileLock(path + ".lock")
    formatter = LineFormatter()
    mutex = threading.Lock()

    def put(row: RawRow) -> None:
        with mutex, lock:
            line = formatter.line(row)
            with open(path, "a", encoding="utf-8") as stream:
                stream.write(line)

    return drive(put, rows, threads)


def run_floor(path: str, rows: list[RawRow], threads: int) -> list[int]:
    """No queue and no thread: format every row and write them all at once."""
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("".join(LineFormatter().lines(rows)))
    return []


def measure(name: str, runner: Callable[[str, list[RawRow], int], list[int]], rows: int,
            threads: int, repeats: int) -> dict[str, float]:  # fmt: skip
    rates, p50s, p95s, p99s = [], [], [], []
    for _ in range(repeats):
        data = make_rows(rows)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "bench.tsv")
            start = time.perf_counter()
            latencies = runner(path, data, threads)
            elapsed = time.perf_counter() - start
            with open(path, "rb") as stream:
                lines = sum(1 for _ in stream)
            assert lines >= rows - threads, f"{name}: only {lines} of {rows} rows written"
        rates.append(rows / elapsed)
        if latencies:
            cuts = statistics.quantiles(latencies, n=100)
            p50s.append(cuts[49])
            p95s.append(cuts[94])
            p99s.append(cuts[98])
    median = statistics.median
    return {
        "rows_per_s": median(rates),
        "p50_us": median(p50s) / 1000 if p50s else float("nan"),
        "p95_us": median(p95s) / 1000 if p95s else float("nan"),
        "p99_us": median(p99s) / 1000 if p99s else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    contenders = [
        ("AsyncBufferedWriter", run_ours, args.rows),
        ("logging QueueHandler+Listener", run_logging, args.rows // 4),
        ("filelock + append per row", run_lock_per_row, args.rows // 20),
        ("floor: format all, one write", run_floor, args.rows),
    ]
    print(f"{'writer':32} {'threads':>7} {'rows/s':>11} {'p50 us':>8} {'p95 us':>8} "
          f"{'p99 us':>8} {'vs ours':>8}")  # fmt: skip
    for threads in args.threads:
        results = {
            name: measure(name, runner, rows, threads, args.repeats)
            for name, runner, rows in contenders
        }
        ours = results["AsyncBufferedWriter"]["rows_per_s"]
        for name, stats in results.items():
            print(
                f"{name:32} {threads:>7} {stats['rows_per_s']:>11,.0f} {stats['p50_us']:>8.2f} "
                f"{stats['p95_us']:>8.2f} {stats['p99_us']:>8.2f} "
                f"{ours / stats['rows_per_s']:>7.1f}x"
            )


if __name__ == "__main__":
    main()
