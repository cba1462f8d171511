"""What the history buys, measured in one run: dispatch makespan, shard balance, lookup time.

1. Makespan under ``-n 2`` of 120 sleep tests with log-normal durations (about 40 s of work,
   the slowest last in collection order): xdist's ``load``, ``worksteal``, and
   ``--task-timing-order slowest-first`` (history: the first ``load`` run's own rows), each
   against the lower bound max(total / 2, longest test). The makespan is the span of the
   tests' rows (first start to last end), so worker start-up, the same for all, is left out.
   Rounds interleave the three, medians of ``--runs``.
2. Shard balance for N = 2..8: the predicted slowest shard over a 5,000-test log-normal
   history and over a real suite's recorded durations (``--real FILE``: a history written by
   ``pytest --task-timing``), ours against pytest-split 0.11's ``least_duration`` and
   ``duration_based_chunks`` fed the same durations, and against the bound.
3. History lookup at session start for 10k, 100k and 1M-row histories: cold (no index yet,
   the whole file read and the index written), warm (the index current but for 1,000 rows
   appended since), and pandas ``read_csv`` of the same file; medians of 5.

Run: ``pip install -e ".[bench]" && python benchmarks/history.py`` (``--only makespan``,
``--real /path/task_timing.tsv``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from pytest_tasktiming.history.index import load
from pytest_tasktiming.history.partition import loads, lower_bound, partition
from pytest_tasktiming.records import HEADER, LineFormatter, fold, read_rows

TESTS = 120
WORK = 40.0


# --- 1. makespan ---------------------------------------------------------------------------


def sleep_suite(directory: Path, seed: int = 11) -> list[float]:
    """120 tests sleeping log-normal times that add up to WORK, the slowest last."""
    rng = random.Random(seed)
    raw = sorted(rng.lognormvariate(0, 1.2) for _ in range(TESTS))
    scale = WORK / sum(raw)
    durations = [round(value * scale, 3) for value in raw]
    lines = ["import time\n"]
    lines += [f"def test_{n:03d}():\n    time.sleep({d})\n" for n, d in enumerate(durations)]
    (directory / "test_sleeps.py").write_text("\n".join(lines))
    return durations


def makespan(tsv: Path) -> float:
    finals = [row for row in fold(read_rows(tsv)).values() if row.end_time is not None]
    start = min(row.start_time for row in finals)
    return (max(row.end_time for row in finals if row.end_time) - start).total_seconds()


def run_variant(directory: Path, name: str, args: list[str]) -> float:
    out = directory / f"{name}.tsv"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    command += ["--task-timing", f"--task-timing-file={out}", *args]
    subprocess.run(command, cwd=directory, check=True, capture_output=True)
    return makespan(out)


def bench_makespan(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        durations = sleep_suite(directory)
        bound = max(sum(durations) / 2, *durations)
        variants = {
            "load": ["--dist=load"],
            "worksteal": ["--dist=worksteal"],
            "slowest-first": [
                "--dist=load",
                "--task-timing-order=slowest-first",
                f"--task-timing-history={directory / 'history.tsv'}",
            ],
        }
        spans: dict[str, list[float]] = {name: [] for name in variants}
        for round_number in range(runs):
            for name, args in variants.items():
                if name == "slowest-first" and round_number == 0:
                    shutil.copy(directory / "load.tsv", directory / "history.tsv")
                spans[name].append(run_variant(directory, name, args))
        print(
            f"makespan under -n 2: {TESTS} sleep tests, {sum(durations):.1f} s of work, "
            f"longest {max(durations):.2f} s, bound {bound:.2f} s; medians of {runs}"
        )
        for name, values in spans.items():
            median = statistics.median(values)
            print(f"  {name:14} {median:7.2f} s  {median / bound:.3f} x bound")


# --- 2. shard balance ----------------------------------------------------------------------


class Item(NamedTuple):
    nodeid: str


def pytest_split_max(algorithm: str, splits: int, durations: dict[str, float]) -> float:
    from pytest_split.algorithms import Algorithms

    items = [Item(nodeid) for nodeid in durations]
    groups = Algorithms[algorithm].value(splits, items, durations)
    return max(group.duration for group in groups)


def bench_shards(real: Path | None) -> None:
    rng = random.Random(5)
    suites = {"5,000 log-normal": {f"t{n}": rng.lognormvariate(-1.5, 1.5) for n in range(5000)}}
    if real is not None:
        history = load(real).history
        suites[f"real ({real.name}, {len(history)} tests)"] = {
            task: history.recorded(task) or 0.0 for task in history.runs
        }
    for title, durations in suites.items():
        print(f"shard balance, {title}: slowest shard / bound")
        print(f"  {'N':>2}  {'ours':>9}  {'least_duration':>14}  {'chunks':>9}")
        for splits in range(2, 9):
            bound = lower_bound(durations, splits)
            ours = max(loads(partition(durations, splits), durations))
            least = pytest_split_max("least_duration", splits, durations)
            chunks = pytest_split_max("duration_based_chunks", splits, durations)
            print(
                f"  {splits:>2}  {ours / bound:9.6f}  {least / bound:14.6f}  {chunks / bound:9.6f}"
            )


# --- 3. lookup -----------------------------------------------------------------------------


def write_history(path: Path, rows: int, tests: int = 5000, start_run: int = 0) -> None:
    formatter = LineFormatter()
    rng = random.Random(rows + start_run)
    base = 1_795_000_000 * 10**9
    with path.open("a" if start_run else "w", encoding="utf-8") as out:
        if not start_run:
            out.write(HEADER)
        for n in range(rows // 2):
            run, test = divmod(n, tests)
            run += start_run
            task_id = f"{run:012x}-{test + 1}"
            at = base + (run * tests + test) * 10**9
            duration = int(rng.lognormvariate(-3, 1.5) * 1e9)
            task = f"tests/test_m{test % 50}.py::test_{test}"
            out.write(formatter.line((at, "pytest", task_id, at, None, None, task, "started")))
            final = (at + duration, "pytest", task_id, at, at + duration, duration, task, "passed")
            out.write(formatter.line(final))


def timed(action: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def lookup_times(rows: int) -> tuple[float, float, float]:
    """Cold, pandas and warm seconds for a history of ``rows`` rows."""
    import csv

    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        path, cache = Path(tmp) / "history.tsv", Path(tmp) / "cache"

        def cold() -> None:
            shutil.rmtree(cache, ignore_errors=True)
            load(path, cache)

        def pandas() -> None:
            pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False)

        def warm() -> None:
            load(path, cache)

        write_history(path, rows)
        cold_s, pandas_s = timed(cold), timed(pandas)
        warm_s = []
        for round_number in range(5):
            load(path, cache)  # the index is current
            write_history(path, 1000, start_run=10**6 + round_number)
            warm_s.append(timed(warm, repeat=1))
        return cold_s, pandas_s, statistics.median(warm_s)


def bench_lookup(sizes: list[int]) -> None:
    print("history lookup at session start (median of 5):")
    print(f"  {'rows':>9}  {'cold':>8}  {'pandas':>8}  {'cold/pandas':>11}  {'warm':>8}")
    for rows in sizes:
        cold, pandas, warm = lookup_times(rows)
        print(
            f"  {rows:>9,}  {cold * 1e3:6.0f}ms  {pandas * 1e3:6.0f}ms  "
            f"{cold / pandas:11.2f}  {warm * 1e3:6.1f}ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["makespan", "shards", "lookup"])
    parser.add_argument("--runs", type=int, default=3, help="makespan runs per variant")
    parser.add_argument("--real", type=Path, help="a real suite's history, for the shards")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    os.environ.pop("TASK_TIMING_FILE", None)
    if args.only in (None, "shards"):
        bench_shards(args.real)
    if args.only in (None, "lookup"):
        bench_lookup(args.rows)
    if args.only in (None, "makespan"):
        bench_makespan(args.runs)


if __name__ == "__main__":
    main()
