"""``tasktiming compact``: a file rewritten with one row per task, its final one."""

from __future__ import annotations

import argparse

from .arguments import output_option
from .output import rewritten

SUMMARY = "Rewrite a file with one row per task (its final row)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``compact``."""
    parser.add_argument("file", metavar="FILE", help="the file to compact")
    output_option(parser, "the compacted file")


def run(args: argparse.Namespace) -> int:
    """Compact, then say how many rows were read and tasks written."""
    from pytest_tasktiming.files.merge import compact

    rewrite = compact(args.file, args.output)
    summary = f"{rewrite.rows_in} rows read, {rewrite.rows_out} tasks written"
    return rewritten(rewrite.torn, f"compacted {args.file} into {args.output}: {summary}")
