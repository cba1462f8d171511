"""``tasktiming report``: runs, total, mean, percentiles and streak per task (or mode, day...)."""

from __future__ import annotations

import argparse
import sys

from .arguments import chosen_file, file_argument, format_argument, moment, positive_int
from .output import EXIT_OK, out, warn

SUMMARY = "Runs, total, mean, p50, p95, min, max, last result and streak."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``report``."""
    from pytest_tasktiming.reports.report import GROUPINGS
    from pytest_tasktiming.reports.tabular import FORMATS

    file_argument(parser)
    parser.add_argument("--by", choices=GROUPINGS, default="task", help="group by (default task)")
    parser.add_argument("--top", type=positive_int, metavar="N", help="only the N largest totals")
    parser.add_argument(
        "--since",
        type=moment,
        metavar="TIME",
        help="tasks started at or after TIME (ISO 8601, or 7d, 36h ago)",
    )
    parser.add_argument("--until", type=moment, metavar="TIME", help="tasks started before TIME")
    parser.add_argument("--mode", help="only rows of this mode")
    parser.add_argument("--result", help="only final rows with this result")
    format_argument(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    """Print the summary; a progress bar on stderr while a large file is read."""
    from pytest_tasktiming.reports.progress import progress_bar
    from pytest_tasktiming.reports.report import Filters, as_record, columns, summarize
    from pytest_tasktiming.reports.tabular import render

    path = chosen_file(args.file)
    filters = Filters(since=args.since, until=args.until, mode=args.mode, result=args.result)
    bar = progress_bar(path, sys.stderr)
    try:
        summary = summarize(path, by=args.by, filters=filters, on_progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if summary.torn_line is not None:
        warn(f"{path}:{summary.torn_line}: skipped a torn last line (see tasktiming validate)")
    stats = summary.stats[: args.top]
    if not stats and args.format == "table":
        out("no finished tasks\n")
        return EXIT_OK
    out(render(columns(args.by), [as_record(s, args.by) for s in stats], args.format))
    return EXIT_OK
