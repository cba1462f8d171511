"""``tasktiming check``: a CI gate, exit 1 if a task timed out, ran past ``--max`` or its own
timeout (from the companion file) or, with ``--slower``, took more than FACTOR x its median in
its latest run."""

from __future__ import annotations

import argparse

from .arguments import chosen_file, file_argument, format_argument, positive_int, seconds_option
from .output import EXIT_FINDINGS, EXIT_OK, out, plural

SUMMARY = (
    "Exit 1 if any task timed out, ran past --max or its own timeout or, with --slower, "
    "got slower (a CI gate)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``check``."""
    from pytest_tasktiming.reports.tabular import FORMATS

    file_argument(parser)
    seconds_option(
        parser, "--max", "the limit: 3600, 90m, 1.5h (default 3600; 0: only timeouts count)"
    )
    parser.add_argument(
        "--slower",
        type=_factor,
        metavar="FACTOR",
        help="also exit 1 when a task's latest successful run took more than FACTOR times the "
        "median of its earlier ones (and 0.1 s more)",
    )
    parser.add_argument(
        "--min-runs",
        type=positive_int,
        default=5,
        metavar="N",
        help="--slower: only tasks with at least N earlier successful runs (default 5)",
    )
    format_argument(parser, FORMATS)


def _factor(text: str) -> float:
    """An argparse type for --slower: a number above 1."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a factor above 1, e.g. 2, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Print the overruns and, in a table, a count; exit 1 if there are any."""
    from pytest_tasktiming.reports.check import (
        COLUMNS,
        SLOWER_COLUMNS,
        find_overruns,
        find_regressions,
    )
    from pytest_tasktiming.reports.progress import progress
    from pytest_tasktiming.reports.tabular import render

    path = chosen_file(args.file)
    with progress(path) as bar:
        overruns = find_overruns(path, limit=args.max, on_progress=bar)
    records = [overrun.as_record() for overrun in overruns]
    columns = COLUMNS
    slower = []
    if args.slower is not None:
        slower = find_regressions(path, factor=args.slower, min_runs=args.min_runs)
        records += [regression.as_record() for regression in slower]
        columns = SLOWER_COLUMNS
    limit = "no limit" if args.max is None else f"the limit of {args.max:g} s"
    if any(overrun.limit not in (None, args.max) for overrun in overruns):
        limit += " or their own"
    if args.format != "table" or records:
        out(render(columns, records, args.format))
    if args.format == "table":
        out(f"{plural(len(overruns), 'task')} timed out or ran past {limit}\n")
        if args.slower is not None:
            out(
                f"{plural(len(slower), 'task')} took more than {args.slower:g} times the "
                f"median of its earlier runs in its latest run\n"
            )
    return EXIT_FINDINGS if records else EXIT_OK
