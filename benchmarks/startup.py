"""What the plugin adds to a session's start-up: off (installed, not enabled) and enabled.

Counts instructions with ``valgrind --tool=cachegrind`` (repeatable on a busy machine) for
two suite sizes of trivial tests and takes the fixed cost, the intercept of the line through
them, so per-test costs cancel. Each configuration runs once before it is counted, so its
bytecode is compiled, and every one marks our package for assertion rewriting as a wheel
install does (``as_installed.py``). Compared in the same run:

- installed, not enabled, against ``options_only_plugin``: a plugin that only declares our
  options (target: at most 1.2x its added start-up);
- ``--task-timing`` against ``--junitxml`` (target: at most its added start-up).

    python benchmarks/startup.py                  # sizes 20 and 220, teardown left out
    python benchmarks/startup.py --sizes 50 550 --with-teardown
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pytest_overhead import NO_FULL_GC, TASKTIMING, instructions, make_suite

WITHOUT_TEARDOWN = (
    "import gc, os, sys, pytest; gc.set_threshold(700, 10, 10**9); code = pytest.main(); "
    "sys.stdout.flush(); os._exit(code)"
)
"""Leaves right after pytest returns: the interpreter's own teardown (a garbage collection
of the whole heap whose cost jumps by millions of instructions with any change in what
keeps a module alive) is not start-up, and would drown the differences measured."""

CONFIGS: dict[str, list[str]] = {
    "bare pytest": [],
    "options-only plugin": ["-p", "options_only_plugin"],
    "installed, not enabled": TASKTIMING,
    "--junitxml": ["--junitxml={out}/junit.xml"],
    "--task-timing": [*TASKTIMING, "--task-timing"],
}
AS_INSTALLED = ["-p", "as_installed"]


def fixed_costs(
    sizes: tuple[int, int], root: Path, out: Path, program: str, marking: list[str]
) -> dict[str, float]:
    """Each configuration's start-up in instructions: the intercept at zero tests."""
    small, large = (make_suite(root, size) for size in sizes)
    costs = {}
    for name, config in CONFIGS.items():
        args = [*marking, *config]
        instructions(small, args, out, program)  # compile the bytecode first
        few = instructions(small, args, out, program)
        many = instructions(large, args, out, program)
        per_test = (many - few) / (sizes[1] - sizes[0])
        costs[name] = few - per_test * sizes[0]
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(20, 220))
    for flag, meaning in (
        ("--with-teardown", "count the interpreter's teardown too"),
        ("--editable", "mark only the plugin for assertion rewriting, as an editable install"),
    ):
        parser.add_argument(flag, action="store_true", help=meaning)
    options = parser.parse_args()
    program = NO_FULL_GC if options.with_teardown else WITHOUT_TEARDOWN
    marking = [] if options.editable else AS_INSTALLED
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "out"
        out.mkdir()
        costs = fixed_costs(tuple(options.sizes), root, out, program, marking)
    bare = costs["bare pytest"]
    added = {name: cost - bare for name, cost in costs.items()}
    print(f"start-up instructions (cachegrind; intercept of {options.sizes[0]} and "
          f"{options.sizes[1]} trivial tests)")  # fmt: skip
    print(f"{'configuration':26} {'start-up':>14} {'added':>12}")
    for name, cost in costs.items():
        print(f"{name:26} {cost:14,.0f} {added[name]:+12,.0f}")
    off = added["installed, not enabled"] / added["options-only plugin"]
    on = added["--task-timing"] / added["--junitxml"]
    print(f"\ninstalled, not enabled / options-only plugin: {off:.2f}x (target <= 1.2)")
    print(f"--task-timing / --junitxml:                   {on:.2f}x (target <= 1.0)")


if __name__ == "__main__":
    main()
