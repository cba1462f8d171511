"""The ``tasktiming`` command line: reports, the CI gates, history upkeep, shell timing, scan.

One module per subcommand, named as the command, each with ``SUMMARY`` (its line in
``tasktiming --help``), ``add_arguments(parser)``, and ``run(args)``, which calls a pure
function returning data, prints it and returns the exit status. ``arguments`` and ``output``
hold what they share. Bad input never shows a traceback: one line ``tasktiming: error: ...``
on stderr and exit status 2.

Imports stay light here and in each ``add_arguments``: ``tasktiming start`` must start fast, so
the modules that do the work are imported by the ``run`` that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from .arguments import CliError, Parser
from .output import EXIT_ERROR, EXIT_OK

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except SystemExit as stop:  # --help and --version
        return stop.code if isinstance(stop.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `tasktiming report | head`: the reader has what it wanted
        # Point stdout at /dev/null so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:
        message = _input_error(error)
        if message is None:
            raise
        print(f"tasktiming: error: {message}", file=sys.stderr)
        return EXIT_ERROR


def _input_error(error: Exception) -> str | None:
    """The one-line message for an error caused by the input, None for a bug."""
    import zlib

    from pytest_tasktiming.exceptions import FormatError
    from pytest_tasktiming.files.startstop import UnknownTaskError

    if isinstance(error, CliError | FormatError | UnknownTaskError):
        return str(error)
    if isinstance(error, OSError):
        if error.filename is not None and error.strerror:
            return f"{error.filename}: {error.strerror}"
        return str(error)
    if isinstance(error, EOFError | zlib.error):
        return f"compressed file is damaged: {error}"
    return None


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand, in the order ``--help`` lists them."""
    from pytest_tasktiming import __version__

    from . import check, compact, html, mcp, merge, report, scan, serve, start, stop, todo, validate

    parser = Parser(
        prog="tasktiming",
        description="Answers from a task-timing file, CI gates, and the static timeout scan.",
        epilog="Exit status: 0 fine, 1 findings (check, scan, validate), 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", required=True)
    for subcommand in (
        report,
        check,
        validate,
        merge,
        compact,
        start,
        stop,
        todo,
        mcp,
        scan,
        html,
        serve,
    ):
        name = subcommand.__name__.rpartition(".")[2]
        summary = subcommand.SUMMARY
        command = subparsers.add_parser(name, help=summary, description=summary)
        subcommand.add_arguments(command)
        command.set_defaults(run=subcommand.run)
    return parser
