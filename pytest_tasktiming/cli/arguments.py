"""What the subcommands share in reading their arguments: the parser, CliError, the options
several commands take, value types, and which file is meant when none is named.

A bad argument raises ``CliError`` instead of argparse's exit, so that ``main`` prints it as
the one error line every other input error gets.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import NoReturn

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.paths import resolve_path


class CliError(Exception):
    """Bad input from the user: its message is printed as the one error line."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are ``CliError``, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')")


def file_argument(parser: argparse.ArgumentParser) -> None:
    """The optional FILE argument of the commands that read one file."""
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the task-timing file (.tsv or .tsv.gz); default $TASK_TIMING_FILE, "
        "else ./task_timing.tsv",
    )


def file_option(parser: argparse.ArgumentParser) -> None:
    """``--file``, for the commands whose positional argument is something else."""
    parser.add_argument(
        "--file", metavar="FILE", help="default $TASK_TIMING_FILE or ./task_timing.tsv"
    )


def format_argument(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    """``--format``, defaulting to the first of ``formats``."""
    parser.add_argument(
        "--format",
        choices=formats,
        default=formats[0],
        help=f"output format (default {formats[0]})",
    )


def output_option(parser: argparse.ArgumentParser, what: str) -> None:
    """The required ``-o/--output`` of the commands that write a file."""
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help=what)


def seconds_option(
    parser: argparse.ArgumentParser, flag: str, what: str, default: object = 3600.0
) -> None:
    """An option given in seconds or with a unit (``90``, ``30m``, ``1.5h``; ``0``: None);
    ``default`` ``argparse.SUPPRESS`` leaves it unset when not given."""
    parser.add_argument(flag, type=_seconds(flag), default=default, metavar="SECONDS", help=what)


def timeout_option(parser: argparse.ArgumentParser) -> None:
    """``--timeout`` of the views that warn at 80% of a task's timeout (html, serve)."""
    seconds_option(
        parser,
        "--timeout",
        "a task's timeout where the file does not show it, for warnings at 80%% "
        "(default 3600; 0: none)",
    )


def _seconds(source: str) -> Callable[[str], float | None]:
    """An argparse type for a duration (``90``, ``30m``, ``1.5h``); ``0`` gives None."""

    def parse(text: str) -> float | None:
        try:
            return parse_seconds(text, source=source)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def moment(text: str) -> str:
    """An argparse type for a point in time (ISO 8601, or ``7d``, ``36h`` ago)."""
    from pytest_tasktiming.reports.report import parse_moment

    try:
        return parse_moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_int(text: str) -> int:
    """An argparse type for a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def port(text: str) -> int:
    """An argparse type for a TCP port, 0 to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def chosen_file(given: str | None) -> str:
    """The file to use: as the user wrote it, else the default (see ``paths.resolve_path``),
    relative to the current directory when it is inside it, as messages should show it."""
    if given is not None:
        return given
    path = resolve_path(None)
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
