"""``tasktiming html``: a self-contained HTML report of a file."""

from __future__ import annotations

import argparse

from pytest_tasktiming.paths import resolve_path

from .arguments import file_argument, timeout_option
from .output import EXIT_OK, out

SUMMARY = (
    "Write a self-contained HTML report: timeline by worker, durations, slowest, "
    "timeouts, warnings, failure streaks and a table of every task."
)
DEFAULT_PAGE = "task_timing.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``html``."""
    file_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        default=DEFAULT_PAGE,
        metavar="OUT",
        help=f"the page to write (default ./{DEFAULT_PAGE})",
    )
    timeout_option(parser)


def run(args: argparse.Namespace) -> int:
    """Write the page and print where."""
    from pytest_tasktiming.reports.html import write_html_report
    from pytest_tasktiming.reports.progress import progress

    path = resolve_path(args.file)
    with progress(path) as bar:
        written = write_html_report(path, args.output, timeout=args.timeout or 0.0, on_progress=bar)
    out(f"wrote {written}\n")
    return EXIT_OK
