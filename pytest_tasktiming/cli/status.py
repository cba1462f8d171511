"""``tasktiming status``: what is running now, for how long, against which limit."""

from __future__ import annotations

import argparse

from .arguments import chosen_file, file_argument, format_argument, timeout_option
from .output import EXIT_OK, out, plural

SUMMARY = (
    "Show what is running now (started, no final row yet), for how long and against which limit."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``status``."""
    from pytest_tasktiming.reports.tabular import FORMATS

    file_argument(parser)
    timeout_option(parser)
    format_argument(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    """Print the running tasks and, in a table, how many, and how many are past the limit."""
    from pytest_tasktiming.reports.progress import progress
    from pytest_tasktiming.reports.status import COLUMNS, running_tasks
    from pytest_tasktiming.reports.tabular import render

    path = chosen_file(args.file)
    with progress(path) as bar:
        tasks = running_tasks(path, timeout=args.timeout, on_progress=bar)
    if args.format != "table":
        out(render(COLUMNS, [task.as_record() for task in tasks], args.format))
        return EXIT_OK
    if not tasks:
        out(f"nothing running in {path}\n")
        return EXIT_OK
    out(render(COLUMNS, [task.as_record() for task in tasks], "table"))
    over = sum(task.over for task in tasks)
    note = (
        f"; {over} past the limit: still running, or ended without a final row "
        "(see tasktiming validate)"
        if over
        else ""
    )
    out(f"{plural(len(tasks), 'task')} running in {path}{note}\n")
    return EXIT_OK
