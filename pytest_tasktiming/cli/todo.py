"""``tasktiming todo``: a Markdown checklist's items with the time tracked against each."""

from __future__ import annotations

import argparse

from .arguments import chosen_file, file_option, format_argument
from .output import EXIT_OK, out

SUMMARY = "List the checklist items of a Markdown file with the time tracked against each."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``todo``."""
    from pytest_tasktiming.reports.tabular import FORMATS

    parser.add_argument(
        "todo_file", nargs="?", metavar="TODO", help="the Markdown checklist (default ./TODO.md)"
    )
    file_option(parser)
    format_argument(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    """Print the items and, in a table, how many are done and how many have no time yet."""
    from pytest_tasktiming.integrations.todo import COLUMNS, DEFAULT_TODO, read_items, track
    from pytest_tasktiming.reports.tabular import render

    todo_file = args.todo_file or DEFAULT_TODO
    tracked = track(read_items(todo_file), chosen_file(args.file))
    if not tracked and args.format == "table":
        out(f"{todo_file}: no checklist items\n")
        return EXIT_OK
    out(render(COLUMNS, [entry.as_record() for entry in tracked], args.format))
    if args.format == "table":
        untimed = sum(1 for entry in tracked if not entry.item.done and not entry.runs)
        done = sum(1 for entry in tracked if entry.item.done)
        out(f"{len(tracked)} items, {done} done, {untimed} open with no time tracked\n")
    return EXIT_OK
