"""``tasktiming mcp``: MCP tools on stdin/stdout for agents (the optional ``mcp`` extra)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pytest_tasktiming.paths import resolve_path

from .arguments import CliError, command, file_option, seconds
from .output import EXIT_OK

if TYPE_CHECKING:
    from .arguments import Subparsers


def add(subparsers: Subparsers) -> None:
    """Declare ``mcp`` and its arguments."""
    parser = command(
        subparsers,
        "mcp",
        "Serve MCP tools on stdin/stdout for agents: start, stop and list tasks, report "
        "(needs pip install 'pytest-tasktiming[mcp]').",
    )
    file_option(parser)
    parser.add_argument(
        "--timeout",
        type=seconds("--timeout"),
        default=3600.0,
        metavar="SECONDS",
        help="the timeout of tasks started without one, and of open tasks found in the file "
        "(default 3600; 0: none)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stdin closes; say how to install the SDK when it is missing."""
    from pytest_tasktiming.integrations.mcp import serve

    try:
        serve(resolve_path(args.file), default_timeout=args.timeout)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("mcp"):
            raise
        raise CliError(
            "tasktiming mcp needs the MCP Python SDK 2 or later: "
            "pip install 'pytest-tasktiming[mcp]'"
        ) from None
    return EXIT_OK
