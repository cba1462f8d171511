"""``tasktiming scan`` over the standard library, in lines per second, against compileall.

Copies the standard library's ``.py`` files (no site-packages) to a temporary tree and, in
the same run and interleaved, times: ``tasktiming scan`` as shipped (a file without the word
"timeout" or one of the few timeout functions is not parsed at all); the scan made to parse
every file (its file pre-filter off: the cost of the analysis itself); and
``python -m compileall -f -q`` (parse, compile and write bytecode for every file, one worker),
the tool a user would otherwise have run over the same tree.

Run: ``python benchmarks/scan.py`` (``--repeat 5``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

FULL_PARSE = (
    "import sys\n"
    "import pytest_tasktiming.scan.python_code as code\n"
    "code.worth_parsing = lambda lowered: True  # parse every file\n"
    "from pytest_tasktiming.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def copy_stdlib(target: str) -> tuple[int, int]:
    """Copy the standard library's .py files to ``target``; return (files, lines)."""
    source = sysconfig.get_paths()["stdlib"]
    ignore = shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc", "*.so")
    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    files = lines = 0
    for directory, _, names in os.walk(target):
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(directory, name), "rb") as stream:
                    lines += stream.read().count(b"\n")
    return files, lines


def measure(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tree = os.path.join(directory, "stdlib")
        files, lines = copy_stdlib(tree)
        commands = {
            "tasktiming scan": [sys.executable, "-m", "pytest_tasktiming", "scan", tree],
            "scan, every file parsed": [sys.executable, "-c", FULL_PARSE, "scan", tree],
            "python -m compileall": [sys.executable, "-m", "compileall", "-f", "-q", tree],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so all see the same machine state
            for name, command in commands.items():
                times[name].append(measure(command))
        print(f"standard library: {files:,} files, {lines:,} lines; median of {args.repeat}")
        base_wall, base_cpu = (
            statistics.median(t[i] for t in times["python -m compileall"]) for i in (0, 1)
        )
        for name, runs in times.items():
            wall, cpu = (statistics.median(t[i] for t in runs) for i in (0, 1))
            print(
                f"  {name:<24} wall {wall:6.2f} s  cpu {cpu:6.2f} s  {lines / cpu:9,.0f} lines/s"
                f" of cpu; vs compileall {base_wall / wall:4.1f}x wall, {base_cpu / cpu:4.1f}x cpu"
            )


if __name__ == "__main__":
    main()
