"""``tasktiming check``: a CI gate, exit 1 if a task timed out or ran past ``--max`` (or its
own timeout, from the companion file)."""

from __future__ import annotations

import argparse

from .arguments import chosen_file, file_argument, format_argument, seconds_option
from .output import EXIT_FINDINGS, EXIT_OK, out, plural

SUMMARY = "Exit 1 if any task timed out or ran past --max or its own timeout (a CI gate)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``check``."""
    from pytest_tasktiming.reports.tabular import FORMATS

    file_argument(parser)
    seconds_option(
        parser, "--max", "the limit: 3600, 90m, 1.5h (default 3600; 0: only timeouts count)"
    )
    format_argument(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    """Print the overruns and, in a table, a count; exit 1 if there are any."""
    from pytest_tasktiming.reports.check import COLUMNS, find_overruns
    from pytest_tasktiming.reports.tabular import render

    overruns = find_overruns(chosen_file(args.file), limit=args.max)
    limit = "no limit" if args.max is None else f"the limit of {args.max:g} s"
    if any(overrun.limit not in (None, args.max) for overrun in overruns):
        limit += " or their own"
    if args.format != "table" or overruns:
        out(render(COLUMNS, [overrun.as_record() for overrun in overruns], args.format))
    if args.format == "table":
        out(f"{plural(len(overruns), 'task')} timed out or ran past {limit}\n")
    return EXIT_FINDINGS if overruns else EXIT_OK
