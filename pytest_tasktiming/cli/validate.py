"""``tasktiming validate``: every line checked, interrupted tasks listed, a torn tail repaired."""

from __future__ import annotations

import argparse

from .arguments import CliError, chosen_file, file_argument
from .output import EXIT_FINDINGS, EXIT_OK, out, plural

SUMMARY = "Check every line; list interrupted tasks; exit 1 if the file has problems."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``validate``."""
    file_argument(parser)
    parser.add_argument(
        "--repair",
        action="store_true",
        help="remove a torn last line (under the writers' lock, atomically), nothing else",
    )


def run(args: argparse.Namespace) -> int:
    """Print each problem and interrupted task, then the counts; exit 1 on a problem."""
    from pytest_tasktiming.files.validate import repair, validate

    path = chosen_file(args.file)
    if args.repair:
        try:
            removed = repair(path)
        except ValueError as error:
            raise CliError(str(error)) from None
        out(f"{path}: removed a torn last line ({removed} bytes)\n" if removed else "")
    report = validate(path)
    for problem in report.problems:
        out(f"{path}:{problem.line}: {problem.message}\n")
    for task in report.interrupted:
        out(
            f"{path}:{task.line}: interrupted: {task.task!r} (task_id {task.task_id}) started "
            f"{task.start_time.isoformat(sep=' ', timespec='seconds')}, "
            f"{_human(task.age)} ago, and never finished\n"
        )
    out(
        f"{path}: {plural(report.rows, 'row')}, {plural(len(report.problems), 'problem')}, "
        f"{len(report.interrupted)} interrupted\n"
    )
    return EXIT_FINDINGS if report.problems else EXIT_OK


def _human(seconds: float) -> str:
    """A time span as people say it: ``42s``, ``5m 03s``, ``3h 25m``, ``2d 04h``."""
    whole = int(max(seconds, 0))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
