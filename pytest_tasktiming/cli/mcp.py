"""``tasktiming mcp``: MCP tools on stdin/stdout for agents (the optional ``mcp`` extra)."""

from __future__ import annotations

import argparse

from pytest_tasktiming.paths import resolve_path

from .arguments import CliError, file_option, seconds_option
from .output import EXIT_OK

SUMMARY = (
    "Serve MCP tools on stdin/stdout for agents: start, stop and list tasks, report "
    "(needs pip install 'pytest-tasktiming[mcp]')."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``mcp``."""
    file_option(parser)
    seconds_option(
        parser,
        "--timeout",
        "the timeout of tasks started without one, and of open tasks found in the file "
        "(default 3600; 0: none)",
    )


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
