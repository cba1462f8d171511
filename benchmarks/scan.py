"""``tasktiming scan`` over the standard library against ``ruff check --select E9``.

Copies the running Python's standard library (its ``.py`` files, no site-packages) to a
temporary tree, checks that both tools read the same files, then times, in the same run and
interleaved: ``tasktiming scan TREE`` as shipped; ``ruff check --select E9 --no-cache TREE``
(ruff parsing every file for syntax errors, on every core, as the scan does on Linux); and
the scan with its pre-filter off, every file parsed whole and every node walked, whose
findings must all be the shipped scan's: the pre-filter loses nothing. Last, a hostile tree (a 1 GB
sparse file, a FIFO named conftest.py, a link to /dev/zero, 10,000 nested brackets) must be
scanned without hanging, in bounded memory.

Run: ``python benchmarks/scan.py`` (``--repeat 5``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

EVERY_NODE = (
    "import sys\n"
    "from pytest_tasktiming.scan import python_code\n"
    "python_code.PythonScanner.candidate_lines = lambda _, data: [*range(data.count(b'\\n') + 2)]\n"
    "python_code.partial_tree = lambda source, lines: None\n"
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


def run(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, children included) of ``command``, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, result.stdout


def same_files(tree: str, ruff: str) -> int:
    """How many Python files each tool reads in ``tree`` (they must be the same ones)."""
    from pytest_tasktiming.scan.walker import Exclusions, files

    ours = {
        os.path.realpath(e[0]) for e in files([tree], Exclusions(tree, ())) if e[1:] == ("python",)
    }  # type: ignore[index]
    listed = subprocess.run(
        [ruff, "check", "--show-files", "--no-cache", tree],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    theirs = {
        os.path.realpath(line.strip())
        for line in listed.splitlines()
        if line.strip().endswith(".py")
    }
    if ours != theirs:
        only = sorted(ours ^ theirs)[:5]
        sys.exit(f"the tools read different files ({len(ours)} against {len(theirs)}): {only}")
    return len(ours)


def hostile_tree(target: str) -> None:
    os.makedirs(target)
    with open(os.path.join(target, "huge.py"), "wb") as stream:
        stream.truncate(1 << 30)  # sparse: costs no disk
    os.mkfifo(os.path.join(target, "conftest.py"))
    os.symlink("/dev/zero", os.path.join(target, "zero.py"))
    with open(os.path.join(target, "nested.py"), "w", encoding="utf-8") as stream:
        stream.write("timeout = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n")
    with open(os.path.join(target, "many.py"), "w", encoding="utf-8") as stream:
        stream.write("".join(f"TIMEOUT_{n} = 7200\n" for n in range(50_000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ruff = shutil.which("ruff") or sys.exit("ruff is not installed: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory() as directory:
        hostile = os.path.join(directory, "hostile")
        hostile_tree(hostile)
        wall, _, out = run([sys.executable, "-m", "pytest_tasktiming", "scan", hostile])
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"hostile tree: {wall:.2f} s, peak memory {peak:.0f} MiB;"
            f" {out.strip().splitlines()[-1]}"
        )
        tree = os.path.join(directory, "stdlib")
        files, lines = copy_stdlib(tree)
        read_by_each = same_files(tree, ruff)
        scan = [sys.executable, "-m", "pytest_tasktiming", "scan", tree, "--format", "json"]
        commands = {
            "tasktiming scan": scan,
            "ruff check --select E9": [ruff, "check", "--select", "E9", "--no-cache", "-q", tree],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        outputs: dict[str, str] = {}
        ratios = []
        for _ in range(args.repeat):  # interleaved, so both see the same machine state
            for name, command in commands.items():
                wall, cpu, outputs[name] = run(command)
                times[name].append((wall, cpu))
            ours, theirs = times["tasktiming scan"][-1], times["ruff check --select E9"][-1]
            ratios.append((ours[0] / theirs[0], ours[1] / theirs[1]))
        full_wall, full_cpu, full_output = run([sys.executable, "-c", EVERY_NODE, *scan[3:]])
        print(
            f"standard library: {files:,} files, {lines:,} lines"
            f" ({read_by_each:,} read by each tool); median of {args.repeat}"
        )
        for name, runs in times.items():
            wall, cpu = (statistics.median(t[i] for t in runs) for i in (0, 1))
            print(f"  {name:<24} wall {wall:6.2f} s  cpu {cpu:6.2f} s")
        print(
            f"  {'scan, no pre-filter':<24} wall {full_wall:6.2f} s  cpu {full_cpu:6.2f} s (once)"
        )
        print(
            f"  scan / ruff, same run, wall: {', '.join(f'{r[0]:.2f}' for r in ratios)};"
            f" median {statistics.median(r[0] for r in ratios):.2f}x;"
            f" cpu: median {statistics.median(r[1] for r in ratios):.2f}x"
        )
        shipped, everything = (
            json.loads(text) for text in (outputs["tasktiming scan"], full_output)
        )
        # Timeouts only: with the pre-filter off, files that cannot hold one are parsed too,
        # and Python 2 test data among them gives warnings (TT901) the shipped scan never sees.
        shipped, everything = (
            [f for f in found if f["code"].startswith("TT0")] for found in (shipped, everything)
        )
        lost = [f for f in everything if f not in shipped]
        print(f"  findings: {len(shipped)} shipped, {len(everything)} with no pre-filter,", end="")
        print(f" {len(lost)} lost")
        if lost:
            sys.exit(f"the pre-filter lost findings: {lost[:3]}")


if __name__ == "__main__":
    main()
