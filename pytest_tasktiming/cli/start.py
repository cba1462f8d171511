"""``tasktiming start``: a started row for a task (or a TODO item), its task id printed."""

from __future__ import annotations

import argparse
import sys

from .arguments import CliError, chosen_file, file_option, positive_int, seconds_option
from .output import EXIT_OK, out

SUMMARY = "Write a started row for TASK and print its task id (for scripts)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``start``."""
    from pytest_tasktiming.integrations.todo import DEFAULT_TODO

    parser.add_argument("task", metavar="TASK", nargs="?", help="the task's name")
    parser.add_argument("--mode", help="the mode column (default shell; todo with --todo)")
    seconds_option(
        parser,
        "--timeout",
        "record the result timeout if the task is not stopped within SECONDS (90, 30m)",
        default=None,
    )
    file_option(parser)
    parser.add_argument(
        "--todo",
        type=positive_int,
        metavar="N",
        help="instead of TASK: checklist item N of the TODO file, numbered as `todo` shows",
    )
    parser.add_argument(
        "--todo-file",
        default=DEFAULT_TODO,
        metavar="TODO",
        help=f"the Markdown checklist of --todo (default ./{DEFAULT_TODO})",
    )


def run(args: argparse.Namespace) -> int:
    """Write the started row and print the task id (the item timed goes to stderr)."""
    from pytest_tasktiming.files.startstop import start

    task, mode = args.task, args.mode or "shell"
    if (task is None) == (args.todo is None):
        raise CliError("give either TASK or --todo N (see 'tasktiming start --help')")
    if args.todo is not None:
        from pytest_tasktiming.integrations.todo import item_number, read_items

        try:
            item = item_number(read_items(args.todo_file), args.todo, args.todo_file)
        except ValueError as error:
            raise CliError(str(error)) from None
        task, mode = item.text, args.mode or "todo"
        done = " (already checked)" if item.done else ""
        print(f"timing item {item.number}{done}: {item.text}", file=sys.stderr)
    out(start(chosen_file(args.file), task, mode=mode, timeout=args.timeout) + "\n")
    return EXIT_OK
