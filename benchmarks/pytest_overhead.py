"""What ``pytest --task-timing`` adds per test, next to what a user would otherwise pick.

Runs trivial tests under bare pytest, with the plugin installed but not enabled, with
``--task-timing`` (default 3600 s timeout on), ``--junitxml``, pytest-reportlog and
pytest-timeout (signal and thread methods); the configurations are interleaved in random order
in every round, and each figure is the median of the rounds. Then the same with ``-n 2``
(CPU time of controller and workers), and a deterministic count of instructions per test
under ``valgrind --tool=cachegrind``: the slope between two suite sizes, so start-up cancels.

    pip install -e ".[test,bench]"
    python benchmarks/pytest_overhead.py                 # 3000 tests, 5 rounds, valgrind
    python benchmarks/pytest_overhead.py --no-valgrind --rounds 7
    python benchmarks/pytest_overhead.py --no-timing          # instructions only

Plugins are loaded explicitly (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` and ``-p``), so every
configuration pays for exactly the plugin it measures. ``bare_bones_plugin`` is the floor:
the same two rows and deadline per test with nothing else.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PER_FILE = 100
HERE = str(Path(__file__).parent)
"""On the path of every run, for ``bare_bones_plugin``."""
TASKTIMING = ["-p", "pytest_tasktiming.plugin"]
CONFIGS: dict[str, list[str]] = {
    "bare pytest": [],
    "installed, not enabled": TASKTIMING,
    "--task-timing": [*TASKTIMING, "--task-timing"],
    "bare-bones recorder": ["-p", "bare_bones_plugin"],
    "--junitxml": ["--junitxml={out}/junit.xml"],
    "pytest-reportlog": ["-p", "pytest_reportlog.plugin", "--report-log={out}/log.jsonl"],
    "pytest-timeout (signal)": [
        "-p",
        "pytest_timeout",
        "--timeout=3600",
        "--timeout-method=signal",
    ],
    "pytest-timeout (thread)": [
        "-p",
        "pytest_timeout",
        "--timeout=3600",
        "--timeout-method=thread",
    ],
}
XDIST_CONFIGS: dict[str, list[str]] = {
    "bare pytest -n 2": ["-p", "xdist.plugin", "-n", "2"],
    "--task-timing -n 2": ["-p", "xdist.plugin", "-n", "2", *TASKTIMING, "--task-timing"],
}
VALGRIND_CONFIGS = [
    "bare pytest",
    "installed, not enabled",
    "--task-timing",
    "bare-bones recorder",
    "--junitxml",
    "pytest-reportlog",
    "pytest-timeout (signal)",
]


def make_suite(root: Path, count: int) -> Path:
    """``count`` trivial tests in files of ``PER_FILE``."""
    suite = root / f"suite_{count}"
    suite.mkdir()
    for start in range(0, count, PER_FILE):
        body = "".join(
            f"def test_{i}():\n    pass\n\n\n" for i in range(start, min(start + PER_FILE, count))
        )
        (suite / f"test_trivial_{start // PER_FILE:03d}.py").write_text(body)
    return suite


NO_FULL_GC = "import gc, sys, pytest; gc.set_threshold(700, 10, 10**9); sys.exit(pytest.main())"


def command(
    suite: Path, args: list[str], out: Path, *, full_gc: bool = True, program: str = NO_FULL_GC
) -> list[str]:
    """The pytest run; without ``full_gc`` its garbage collector never scans the whole heap.

    A full collection walks all of pytest's objects: one more or one fewer between the two
    suite sizes moved a configuration's instructions per test by 20,000 to 40,000, more
    than the differences measured. Counted runs go without; the younger generations, whose
    cost follows each plugin's allocations, are still collected.
    """
    start = ["-m", "pytest"] if full_gc else ["-c", program]
    return [
        sys.executable, *start, "-q", "-p", "no:cacheprovider", str(suite),
        *(arg.format(out=out) for arg in args),
    ]  # fmt: skip


def environment(out: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {  # bytecode written once and then read, as on a user's machine
        **inherited,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "TASK_TIMING_FILE": str(out / "task_timing.tsv"),
        # String hashing is salted per process; the salt moves instruction counts by ~5k.
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")])),
    }


def run_once(suite: Path, args: list[str], out: Path) -> tuple[float, float]:
    """Wall and CPU seconds (this child and the workers it waited for) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command(suite, args, out), env=environment(out), check=True, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for leftover in out.iterdir():  # every run starts without files
        leftover.unlink()
    return wall, cpu


def timed_rounds(
    suite: Path, configs: dict[str, list[str]], rounds: int, out: Path
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds per configuration, interleaved in a new order each round."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
    for number in range(rounds):
        order = list(configs)
        random.shuffle(order)
        for name in order:
            samples[name].append(run_once(suite, configs[name], out))
        print(f"  round {number + 1}/{rounds} done", file=sys.stderr)
    return {
        name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
        for name, runs in samples.items()
    }


def print_times(title: str, medians: dict[str, tuple[float, float]], base: str, tests: int) -> None:
    print(f"\n{title}")
    print(f"{'configuration':26} {'wall s':>8} {'us/test':>8} {'x bare':>7} "
          f"{'cpu s':>8} {'us/test':>8} {'x bare':>7}")  # fmt: skip
    base_wall, base_cpu = medians[base]
    for name, (wall, cpu) in medians.items():
        print(
            f"{name:26} {wall:8.2f} {(wall - base_wall) / tests * 1e6:+8.1f} "
            f"{wall / base_wall:7.3f} {cpu:8.2f} {(cpu - base_cpu) / tests * 1e6:+8.1f} "
            f"{cpu / base_cpu:7.3f}"
        )


def instructions(suite: Path, args: list[str], out: Path, program: str = NO_FULL_GC) -> int:
    """Instructions executed by one pytest run, counted by cachegrind."""
    process = subprocess.run(
        [
            "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
            *command(suite, args, out, full_gc=False, program=program),
        ],
        env=environment(out),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    for leftover in out.iterdir():
        leftover.unlink()
    match = re.search(r"I\s+refs:\s+([\d,]+)", process.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{process.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def print_instructions(small: Path, large: Path, sizes: tuple[int, int], out: Path) -> None:
    print(f"\ninstructions per test (cachegrind; slope between {sizes[0]} and {sizes[1]} tests)")
    print(f"{'configuration':26} {'per test':>10} {'added':>10}")
    slopes = {}
    for name in VALGRIND_CONFIGS:
        few, many = instructions(small, CONFIGS[name], out), instructions(large, CONFIGS[name], out)
        slopes[name] = (many - few) / (sizes[1] - sizes[0])
        print(f"{name:26} {slopes[name]:10,.0f} {slopes[name] - slopes['bare pytest']:+10,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    # Wide apart: a full garbage collection is ~15M instructions, and which sizes it falls
    # between moves a narrow slope by tens of thousands per test.
    parser.add_argument("--valgrind-tests", type=int, nargs=2, default=(300, 1500))
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-valgrind", action="store_true")
    parser.add_argument("--no-xdist", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "out"
        out.mkdir()
        suite = make_suite(root, options.tests)
        if not options.no_timing:
            print(f"{options.tests} trivial tests, median of {options.rounds} interleaved rounds")
            medians = timed_rounds(suite, CONFIGS, options.rounds, out)
            print_times("one process", medians, "bare pytest", options.tests)
        if not options.no_timing and not options.no_xdist:
            medians = timed_rounds(suite, XDIST_CONFIGS, options.rounds, out)
            print_times("pytest-xdist", medians, "bare pytest -n 2", options.tests)
        if not options.no_valgrind and shutil.which("valgrind"):
            small, large = (make_suite(root, n) for n in options.valgrind_tests)
            print_instructions(small, large, options.valgrind_tests, out)


if __name__ == "__main__":
    main()
