"""``tasktiming serve``: a live, read-only dashboard of a growing file."""

from __future__ import annotations

import argparse

from pytest_tasktiming.paths import resolve_path

from .arguments import file_argument, port, timeout_option
from .output import EXIT_OK, out

SUMMARY = (
    "Serve a live dashboard of a growing file: running tasks against their timeout, "
    "recent results and the report's views (read-only)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``serve``."""
    from pytest_tasktiming.reports.dashboard import DEFAULT_HOST, DEFAULT_PORT

    file_argument(parser)
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help=f"the port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    timeout_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the address, then serve until interrupted."""
    from pytest_tasktiming.reports.dashboard import DashboardServer

    path = resolve_path(args.file)
    server = DashboardServer(path, args.host, args.port, timeout=args.timeout or 0.0)
    out(f"serving {path} at {server.url} (Ctrl+C to stop)\n")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return EXIT_OK
