"""``tasktiming compact``: a file rewritten with one row per task, its final one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .arguments import chosen_file, command, file_argument
from .output import EXIT_OK, out, warn_torn

if TYPE_CHECKING:
    from .arguments import Subparsers


def add(subparsers: Subparsers) -> None:
    """Declare ``compact`` and its arguments."""
    parser = command(subparsers, "compact", "Rewrite a file with one row per task (its final row).")
    file_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="the compacted file (default: FILE itself, rewritten in place under the writers' "
        "lock, so no row appended meanwhile is lost)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compact, then say how many rows were read and tasks written."""
    from pytest_tasktiming.files.merge import compact
    from pytest_tasktiming.reports.progress import progress

    path = chosen_file(args.file)
    output = args.output or path
    with progress(path) as bar:
        rewrite = compact(path, output, on_progress=bar)
    warn_torn(rewrite.torn)
    where = "in place" if output == path else f"into {output}"
    out(
        f"compacted {path} {where}: {rewrite.rows_in} rows read, {rewrite.rows_out} tasks written\n"
    )
    return EXIT_OK
