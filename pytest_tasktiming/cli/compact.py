"""``tasktiming compact``: a file rewritten with one row per task, its final one."""

from __future__ import annotations

import argparse

from .arguments import chosen_file, file_argument
from .output import rewritten

SUMMARY = "Rewrite a file with one row per task (its final row)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``compact``."""
    file_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="the compacted file (default: FILE itself, rewritten in place under the writers' "
        "lock, so no row appended meanwhile is lost)",
    )


def run(args: argparse.Namespace) -> int:
    """Compact, then say how many rows were read and tasks written."""
    from pytest_tasktiming.files.merge import compact
    from pytest_tasktiming.reports.progress import progress

    path = chosen_file(args.file)
    output = args.output or path
    with progress(path) as bar:
        rewrite = compact(path, output, on_progress=bar)
    where = "in place" if output == path else f"into {output}"
    summary = f"{rewrite.rows_in} rows read, {rewrite.rows_out} tasks written"
    return rewritten(rewrite.torn, f"compacted {path} {where}: {summary}")
