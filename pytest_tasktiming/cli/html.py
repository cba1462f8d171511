"""``tasktiming html``: a self-contained HTML report of a file."""

from __future__ import annotations

import argparse

from pytest_tasktiming.paths import resolve_path

from .arguments import file_argument, output_option, timeout_option
from .output import EXIT_OK, out

SUMMARY = (
    "Write a self-contained HTML report: timeline by worker, durations, slowest, "
    "timeouts, warnings, failure streaks and a table of every task."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``html``."""
    file_argument(parser)
    output_option(parser, "the page to write")
    timeout_option(parser)


def run(args: argparse.Namespace) -> int:
    """Write the page and print where."""
    from pytest_tasktiming.reports.html import write_html_report

    written = write_html_report(resolve_path(args.file), args.output, timeout=args.timeout or 0.0)
    out(f"wrote {written}\n")
    return EXIT_OK
