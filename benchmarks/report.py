"""``tasktiming report`` against pandas doing the same aggregation, wall time and peak memory.

Generates files of 1M and 4M rows (a started and a final row per task, 2,000 distinct tasks,
as the pytest plugin writes them), then, in the same run, times ``tasktiming report`` and a
pandas script (``read_csv(sep="\\t")`` + ``groupby``: runs, total, mean, median, p95, min, max,
last result, current failure streak). Each command runs in its own measuring process, so the
peak RSS (``getrusage(RUSAGE_CHILDREN)``) is that command's alone. The two outputs are
compared number by number on the 1M file first.

Run: ``pip install -e ".[bench]" && python benchmarks/report.py`` (``--rows 1000000 4000000``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

from pytest_tasktiming.records import HEADER, LineFormatter

TASKS = 2_000
FAILING = ("failed", "timeout", "error")

PANDAS = r"""
import csv, json, sys
import numpy as np
import pandas as pd

df = pd.read_csv(sys.argv[1], sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False,
                 dtype={"duration": str})
df = df[df["result"] != "started"]
df["duration"] = df["duration"].astype("float64")
df["position"] = np.arange(len(df))
failing = df["result"].isin(["failed", "timeout", "error"])
groups = df.groupby("task", sort=False)
stats = groups["duration"].agg(["count", "sum", "mean", "median", "min", "max"])
stats["p95"] = groups["duration"].quantile(0.95)
stats["last"] = groups["result"].last()
last_ok = df["position"].where(~failing, -1).groupby(df["task"]).max()
after = df["position"].to_numpy() > last_ok.reindex(df["task"]).to_numpy()
stats["streak"] = pd.Series(after, index=df.index).groupby(df["task"]).sum()
stats = stats.sort_values("sum", ascending=False)
if len(sys.argv) > 2:
    out = [
        {"task": task, "runs": int(r["count"]), "total": r["sum"], "mean": r["mean"],
         "p50": r["median"], "p95": r["p95"], "min": r["min"], "max": r["max"],
         "last_result": r["last"], "streak": int(r["streak"])}
        for task, r in stats.iterrows()
    ]
    json.dump(out, open(sys.argv[2], "w"))
"""


def generate(path: str, rows: int, seed: int = 7) -> None:
    """Write ``rows`` rows: a started and a final row per task occurrence, in time order."""
    rng = random.Random(seed)
    formatter = LineFormatter()
    names = [f"tests/test_mod{i // 20}.py::test_case_{i}[param-{i % 7}]" for i in range(TASKS)]
    medians = [rng.lognormvariate(-2, 1.5) for _ in range(TASKS)]
    now = 1_790_000_000 * 10**9
    prefix = "a1b2c3d4e5f6"
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER)
        lines = []
        for i in range(rows // 2):
            task = i % TASKS
            duration = int(rng.lognormvariate(0, 0.3) * medians[task] * 1e9)
            result = rng.choices(("passed", "failed", "error"), (96, 3, 1))[0]
            task_id = f"{prefix}-{i}"
            lines.append(
                formatter.line((now, "pytest", task_id, now, None, None, names[task], "started"))
            )
            end = now + duration
            lines.append(
                formatter.line((end, "pytest", task_id, now, end, duration, names[task], result))
            )
            now = end + 1000
            if len(lines) >= 100_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)


PROBE = """
import resource, subprocess, sys, time
wall = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - wall
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


def measure(command: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds and peak RSS (bytes) of ``command``, in a fresh measuring process.

    RUSAGE_CHILDREN's maximum covers every child a process ever waited for, so each command
    gets a measuring process of its own.
    """
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *command], check=True, capture_output=True, text=True
    )
    wall, cpu, kib = out.stdout.split()
    return float(wall), float(cpu), int(kib) * 1024


def compare(path: str, directory: str) -> None:
    """Fail loudly unless both tools give the same numbers."""
    ours = json.loads(
        subprocess.run(
            [sys.executable, "-m", "pytest_tasktiming", "report", path, "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    theirs_path = os.path.join(directory, "pandas.json")
    subprocess.run([sys.executable, "-c", PANDAS, path, theirs_path], check=True)
    with open(theirs_path) as stream:
        theirs = {row["task"]: row for row in json.load(stream)}
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    for row in ours:
        other = theirs[row["task"]]
        for name in ("runs", "last_result", "streak"):
            assert row[name] == other[name], (row["task"], name, row[name], other[name])
        for name in ("total", "mean", "p50", "p95", "min", "max"):
            assert abs(row[name] - other[name]) <= 2e-6 * max(1.0, abs(other[name])), (
                row["task"],
                name,
            )
    print(f"outputs agree: {len(ours)} tasks, every statistic within 1e-6 relative")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per command (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for index, rows in enumerate(args.rows):
            path = os.path.join(directory, f"rows-{rows}.tsv")
            generate(path, rows)
            size = os.path.getsize(path) / 1e6
            if index == 0:
                compare(path, directory)
            commands = {
                "tasktiming report": [
                    sys.executable,
                    "-m",
                    "pytest_tasktiming",
                    "report",
                    path,
                    "--format",
                    "csv",
                ],
                "pandas read_csv+groupby": [sys.executable, "-c", PANDAS, path],
            }
            results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
            for _ in range(args.repeat):  # interleaved, so both see the same machine state
                for name, command in commands.items():
                    results[name].append(measure(command))
            print(f"\n{rows:,} rows ({size:.0f} MB), median of {args.repeat}:")
            summary = {}
            for name, runs in results.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                peak = max(r[2] for r in runs) / 2**20
                summary[name] = (wall, cpu, peak)
                print(
                    f"  {name:<24} wall {wall:6.2f} s  cpu {cpu:6.2f} s  peak RSS {peak:6.1f} MiB"
                )
            ours, theirs = summary["tasktiming report"], summary["pandas read_csv+groupby"]
            wall, cpu, peak = (mine / other for mine, other in zip(ours, theirs, strict=True))
            print(f"  tasktiming/pandas: wall {wall:.2f}x, cpu {cpu:.2f}x, peak memory {peak:.2f}x")


if __name__ == "__main__":
    main()
