"""``tasktiming merge``: files (CI shards) into one, each row once, in time order."""

from __future__ import annotations

import argparse

from .arguments import output_option
from .output import rewritten

SUMMARY = "Merge files (CI shards) into one: each row once, in time order."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``merge``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="the files to merge")
    output_option(parser, "the merged file")


def run(args: argparse.Namespace) -> int:
    """Merge, then say how many rows went in and came out."""
    from pytest_tasktiming.files.merge import merge

    rewrite = merge(args.files, args.output)
    read, written = rewrite.rows_in, rewrite.rows_out
    return rewritten(
        rewrite.torn,
        f"merged {len(args.files)} files into {args.output}: {read} rows read, {written} written",
    )
