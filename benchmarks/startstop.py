"""How long ``tasktiming start`` and ``tasktiming stop`` take, against ``python -c pass``.

A shell script pays a command's whole run, start-up included, at each end of a timed step, and
``start``'s own run is part of the time it records (the clock is read first thing). So each
command is run ``--runs`` times, alternating with ``python -c pass`` (the floor: the same
interpreter doing nothing) so that a machine's changing load hits both alike; medians and
their ratio come from the same run. ``python -X importtime`` then shows where the rest goes:
the self time of every module the command imports that ``python -c pass`` does not.

Run: ``python benchmarks/startstop.py`` (``--runs 40``); the console script is the one beside
this interpreter (``pip install -e .`` puts it there). The package is byte-compiled first, as
``pip install`` leaves it: with ``PYTHONDONTWRITEBYTECODE`` set and no ``.pyc`` on disk, every
run would compile the modules it imports again.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import pytest_tasktiming

BIN = os.path.dirname(sys.executable)
TASKTIMING = os.path.join(BIN, "tasktiming")


def timed_run(command: list[str]) -> tuple[float, str]:
    """Wall seconds of one run of ``command``, and its stdout."""
    began = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - began, done.stdout


def import_times(command: Callable[[], list[str]], runs: int = 5) -> dict[str, float]:
    """Self import time in microseconds per module, from ``-X importtime``: the median of
    ``runs`` runs (each of a fresh ``command()``), since one run on a busy machine can charge
    a stall to any module."""
    samples: dict[str, list[int]] = {}
    for _ in range(runs):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", *command()],
            check=True,
            capture_output=True,
            text=True,
        ).stderr
        for line in err.splitlines():
            if line.startswith("import time:") and "[us]" not in line:
                self_us, _, name = line.removeprefix("import time:").split("|")
                samples.setdefault(name.strip(), []).append(int(self_us))
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs of each command (median)")
    parser.add_argument("--top", type=int, default=12, help="imports listed for each command")
    args = parser.parse_args()
    compileall.compile_dir(os.path.dirname(pytest_tasktiming.__file__), quiet=1)

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "task_timing.tsv")
        floor, starts, stops = [], [], []
        for _ in range(args.runs):
            floor.append(timed_run([sys.executable, "-c", "pass"])[0])
            seconds, task_id = timed_run([TASKTIMING, "start", "step", "--file", path])
            starts.append(seconds)
            stops.append(timed_run([TASKTIMING, "stop", task_id.strip(), "--file", path])[0])
        base = statistics.median(floor)
        load = os.getloadavg()[0]
        print(f"median of {args.runs} runs each, alternating; load average {load:.1f}")
        print(f"{'command':<22} {'median':>9} {'ratio':>7}")
        for name, samples in (
            ("python -c pass", floor),
            ("tasktiming start", starts),
            ("tasktiming stop", stops),
        ):
            median = statistics.median(samples)
            print(f"{name:<22} {median * 1000:7.1f} ms {median / base:6.2f}x")

        baseline = import_times(lambda: ["-c", "pass"])

        def a_stop() -> list[str]:
            task_id = timed_run([TASKTIMING, "start", "step", "--file", path])[1].strip()
            return [TASKTIMING, "stop", task_id, "--file", path]

        for name, command in (
            ("start", lambda: [TASKTIMING, "start", "step", "--file", path]),
            ("stop", a_stop),
        ):
            extra = {m: us for m, us in import_times(command).items() if m not in baseline}
            ranked = sorted(extra.items(), key=lambda item: -item[1])
            print(
                f"\ntasktiming {name}: {len(extra)} modules beyond python -c pass, "
                f"{sum(extra.values()) / 1000:.1f} ms of import (-X importtime, self times)"
            )
            for module, us in ranked[: args.top]:
                print(f"  {us / 1000:6.2f} ms  {module}")


if __name__ == "__main__":
    main()
