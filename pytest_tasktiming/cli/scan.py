"""``tasktiming scan``: timeouts above ``--max`` in code, test settings and CI workflows."""

from __future__ import annotations

import argparse

from .arguments import CliError, format_argument, seconds_option
from .output import EXIT_FINDINGS, EXIT_OK, out

SUMMARY = (
    "Find timeouts above --max in Python, pytest/tox config and CI workflows, "
    "without running anything."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``scan``."""
    from pytest_tasktiming.scan import FORMATS

    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default .)"
    )
    seconds_option(parser, "--max", "the largest timeout allowed: 3600, 90m, 2h (default 3600)")
    format_argument(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    """Print the findings; exit 1 if any is an error (not only a warning)."""
    from pytest_tasktiming.scan import render, scan_paths

    if args.max is None:
        raise CliError("--max must be above 0 for scan")
    findings = scan_paths(args.paths, limit=args.max)
    out(render(findings, args.format))
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK
