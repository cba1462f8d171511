"""What the plugin adds to a session's start-up: off (installed, not enabled) and enabled.

Counts instructions with ``valgrind --tool=cachegrind`` (repeatable on a busy machine) for
two suite sizes of trivial tests and takes the fixed cost, the intercept of the line through
them, so per-test costs cancel. Each configuration runs once before it is counted, so its
bytecode is compiled, and every one marks our package for assertion rewriting as a wheel
install does (``as_installed.py``). Compared in the same run:

- installed, not enabled, against ``options_only_plugin``: a plugin that only declares our
  options (target: at most 1.2x its added start-up);
- ``--task-timing`` against ``--junitxml`` (target: at most its added start-up).

    python benchmarks/startup.py                  # sizes 20 and 220
    python benchmarks/startup.py --sizes 50 550
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pytest_overhead import TASKTIMING, instructions, make_suite

AS_INSTALLED = ["-p", "as_installed"]
CONFIGS: dict[str, list[str]] = {
    "bare pytest": AS_INSTALLED,
    "options-only plugin": [*AS_INSTALLED, "-p", "options_only_plugin"],
    "installed, not enabled": [*AS_INSTALLED, *TASKTIMING],
    "--junitxml": [*AS_INSTALLED, "--junitxml={out}/junit.xml"],
    "--task-timing": [*AS_INSTALLED, *TASKTIMING, "--task-timing"],
}


def fixed_costs(sizes: tuple[int, int], root: Path, out: Path) -> dict[str, float]:
    """Each configuration's start-up in instructions: the intercept at zero tests."""
    small, large = (make_suite(root, size) for size in sizes)
    costs = {}
    for name, args in CONFIGS.items():
        instructions(small, args, out)  # compile the bytecode first
        few, many = instructions(small, args, out), instructions(large, args, out)
        per_test = (many - few) / (sizes[1] - sizes[0])
        costs[name] = few - per_test * sizes[0]
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(20, 220))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "out"
        out.mkdir()
        costs = fixed_costs(tuple(options.sizes), root, out)
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
