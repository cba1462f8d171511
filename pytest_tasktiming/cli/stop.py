"""``tasktiming stop``: the final row of a task begun with ``start``."""

from __future__ import annotations

import argparse

from .arguments import chosen_file, file_option
from .output import EXIT_OK, out

SUMMARY = "Write the final row of a task begun with start."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``stop``."""
    from pytest_tasktiming.files.startstop import RESULTS

    parser.add_argument("task_id", metavar="TASK_ID", help="the id that start printed")
    parser.add_argument("--result", choices=RESULTS, default="completed", help="default completed")
    file_option(parser)


def run(args: argparse.Namespace) -> int:
    """Write the final row and print the task, its result and duration."""
    from pytest_tasktiming.files.startstop import stop

    stopped = stop(chosen_file(args.file), args.task_id, result=args.result)
    out(f"{stopped.task}: {stopped.result} after {stopped.duration:.3f} s\n")
    return EXIT_OK
