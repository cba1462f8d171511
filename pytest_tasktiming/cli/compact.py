"""``tasktiming compact``: a file rewritten with one row per task, its final one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .arguments import command
from .output import EXIT_OK, out, warn_torn

if TYPE_CHECKING:
    from .arguments import Subparsers


def add(subparsers: Subparsers) -> None:
    """Declare ``compact`` and its arguments."""
    parser = command(subparsers, "compact", "Rewrite a file with one row per task (its final row).")
    parser.add_argument("file", metavar="FILE", help="the file to compact")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the compacted file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compact, then say how many rows were read and tasks written."""
    from pytest_tasktiming.files.merge import compact

    rewrite = compact(args.file, args.output)
    warn_torn(rewrite.torn)
    out(
        f"compacted {args.file} into {args.output}: "
        f"{rewrite.rows_in} rows read, {rewrite.rows_out} tasks written\n"
    )
    return EXIT_OK
