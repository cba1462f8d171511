"""``tasktiming merge``: files (CI shards) into one, each row once, in time order."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .arguments import command
from .output import EXIT_OK, out, warn_torn

if TYPE_CHECKING:
    from .arguments import Subparsers


def add(subparsers: Subparsers) -> None:
    """Declare ``merge`` and its arguments."""
    parser = command(
        subparsers, "merge", "Merge files (CI shards) into one: each row once, in time order."
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="the files to merge")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the merged file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Merge, then say how many rows went in and came out."""
    from pytest_tasktiming.files.merge import merge
    from pytest_tasktiming.reports.progress import progress

    with progress(args.files) as bar:
        rewrite = merge(args.files, args.output, on_progress=bar)
    warn_torn(rewrite.torn)
    out(
        f"merged {len(args.files)} files into {args.output}: "
        f"{rewrite.rows_in} rows read, {rewrite.rows_out} written\n"
    )
    return EXIT_OK
