"""``tasktiming scan``: what lets something run longer than ``--max``, in code, test settings
and CI workflows."""

from __future__ import annotations

import argparse

from .arguments import CliError, format_argument, seconds_option
from .output import EXIT_FINDINGS, EXIT_OK, out

SUMMARY = (
    "Find what lets something run longer than --max: timeouts in Python, pytest/tox "
    "config and CI workflows, and CI jobs without one, without running anything."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``scan``."""
    from pytest_tasktiming.scan import FORMATS

    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default .)"
    )
    seconds_option(
        parser,
        "--max",
        "the largest timeout allowed: 3600, 90m, 2h "
        "(default: max in [tool.tasktiming.scan], else 3600)",
        default=argparse.SUPPRESS,
    )
    format_argument(parser, FORMATS)
    parser.add_argument(
        "--select", metavar="CODES", help="report only these codes or prefixes: TT001,TT002"
    )
    parser.add_argument("--ignore", metavar="CODES", help="never report these codes or prefixes")
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply the configured exclude to paths named here too (for pre-commit)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the findings; exit 1 if any is an error (not only a warning)."""
    from pytest_tasktiming.scan import ConfigError, render, scan_paths, settings_for

    limit = getattr(args, "max", False)  # not given: the configuration's, or 3600
    if limit is None:
        raise CliError("--max must be above 0 for scan")
    try:
        settings = settings_for(
            args.paths,
            limit=limit or None,
            select=args.select or "",
            ignore=args.ignore or "",
            force_exclude=args.force_exclude,
        )
    except ConfigError as error:
        raise CliError(str(error)) from None
    findings = scan_paths(args.paths, settings)
    out(render(findings, args.format))
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK
