"""The history on a real suite: shards that run every test once, slowest-first under ``-n 2``,
and what each mode costs in fixture set-ups.

Given a project whose tests pytest runs (e.g. more-itertools 10.5.0:
``pip download --no-binary :all: --no-deps more-itertools==10.5.0`` and unpack), it

1. builds a history: ``--history-runs`` serial runs with ``--task-timing``;
2. runs shards 1..N for N = 2 and 3 and checks that every test ran exactly once, printing each
   shard's predicted and measured time;
3. counts the set-ups of fixtures scoped above the function (unittest's ``setUpClass`` is one)
   serially and under ``-n 2`` with ``--dist load`` and ``loadscope``, in collection order and
   slowest-first;
4. times ``-n 2`` sessions, default ``load`` against slowest-first, rounds interleaved,
   medians of ``--runs``: the wall time of the whole ``pytest`` process, as a user waits.

Run: ``python benchmarks/history_real_suite.py /path/to/more-itertools-10.5.0 --runs 7``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from history import makespan  # benchmarks/history.py, beside this script

COUNTER = """
import os

setups = 0

def pytest_fixture_setup(fixturedef):
    global setups
    if fixturedef.scope != "function":
        setups += 1

def pytest_sessionfinish(session):
    with open(os.environ["FIXTURE_COUNT"], "a") as out:
        out.write(f"{setups}\\n")
"""


def pytest(suite: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    began = time.perf_counter()
    done = subprocess.run(
        [*command, *args], cwd=suite, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def junit_ids(path: Path) -> list[str]:
    ids = []
    for case in ET.parse(path).iter("testcase"):
        ids.append(f"{case.attrib['classname']}::{case.attrib['name']}")
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path)
    parser.add_argument("--history-runs", type=int, default=5)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    suite = args.suite.resolve()
    work = Path(tempfile.mkdtemp(prefix="history-real-"))
    history = work / "history.tsv"
    env = {**os.environ, "PYTHONPATH": str(work)}
    env.pop("TASK_TIMING_FILE", None)
    (work / "fixture_counter.py").write_text(COUNTER)
    uses = [f"--task-timing-history={history}"]

    for _ in range(args.history_runs):
        pytest(suite, "--task-timing", f"--task-timing-file={history}", env=env)
    rows = sum(1 for _ in history.open()) - 1
    print(f"{suite.name}: history of {args.history_runs} serial runs, {rows} rows")

    _, full = pytest(suite, f"--junitxml={work / 'all.xml'}", env=env)
    everything = junit_ids(work / "all.xml")
    for shards in (2, 3):
        seen: list[str] = []
        for index in range(1, shards + 1):
            junit = work / f"shard{index}of{shards}.xml"
            elapsed, out = pytest(
                suite,
                *uses,
                f"--task-timing-shard={index}/{shards}",
                f"--junitxml={junit}",
                env=env,
            )
            seen += junit_ids(junit)
            line = next(line for line in out.splitlines() if line.startswith("task timing: shard"))
            predicted = re.search(r"predicted ([\d.]+)s", line).group(1)  # type: ignore[union-attr]
            print(f"  shard {index}/{shards}: predicted {predicted} s, session {elapsed:.2f} s")
        once = sorted(seen) == sorted(everything) and len(set(seen)) == len(seen)
        print(f"  N={shards}: {len(seen)} of {len(everything)} tests, each exactly once: {once}")

    print("fixture set-ups above function scope (summed over processes):")
    for label, extra in [
        ("serial", []),
        ("-n 2 --dist load", ["-n", "2", "--dist", "load"]),
        ("-n 2 --dist loadscope", ["-n", "2", "--dist", "loadscope"]),
    ]:
        counts = []
        for order in ([], ["--task-timing-order=slowest-first"]):
            count_file = work / "count.txt"
            count_file.unlink(missing_ok=True)
            pytest(
                suite,
                "-p",
                "fixture_counter",
                *uses,
                *order,
                *extra,
                env={**env, "FIXTURE_COUNT": str(count_file)},
            )
            counts.append(sum(int(n) for n in count_file.read_text().split()))
        print(f"  {label:22} collection order {counts[0]:5}  slowest-first {counts[1]:5}")

    variants = {"load": [], "slowest-first": ["--task-timing-order=slowest-first"]}
    sessions: dict[str, list[float]] = {name: [] for name in variants}
    spans: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, extra in variants.items():
            rows = work / f"{name}.tsv"
            rows.unlink(missing_ok=True)
            record = ["--task-timing", f"--task-timing-file={rows}"]
            sessions[name].append(pytest(suite, "-n", "2", *uses, *record, *extra, env=env)[0])
            spans[name].append(makespan(rows))
    print(
        f"-n 2, medians of {args.runs}: the session (as a user waits) and the tests' span "
        "(first start to last end)"
    )
    for name in variants:
        session, span = statistics.median(sessions[name]), statistics.median(spans[name])
        print(f"  {name:14} session {session:6.2f} s  span {span:6.2f} s")
    ratio = {
        kind: statistics.median(values["slowest-first"]) / statistics.median(values["load"])
        for kind, values in (("session", sessions), ("span", spans))
    }
    print(f"  slowest-first / load: session {ratio['session']:.3f}, span {ratio['span']:.3f}")
    print(f"(serial run for reference: {full.strip().splitlines()[-1]})")


if __name__ == "__main__":
    main()
