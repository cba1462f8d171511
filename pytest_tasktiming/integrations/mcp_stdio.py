"""The MCP server's stdio wire: every line gets an answer, the ones that do not parse too.

The SDK's stdio transport decodes stdin with ``errors="replace"`` (so invalid UTF-8 arrives as
U+FFFD and passes) and hands the server an exception for a line it cannot parse, which the
server only logs: the client waits for an answer that never comes. Here stdin is decoded with
``surrogateescape``, so bytes that are not UTF-8 fail to parse too, and each failure is
answered as JSON-RPC 2.0 says, with ``"id": null``: ``-32700`` (parse error) for a line that
is not JSON or not UTF-8, ``-32600`` (invalid request) for JSON that is not one message
object, such as an array (MCP has no batches).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectSendStream
    from mcp.server.mcpserver import MCPServer
    from mcp.shared.message import SessionMessage
    from mcp.types import ErrorData


class Sender(Protocol):
    """Where the SDK's transport takes messages for stdout."""

    async def send(self, item: SessionMessage, /) -> None: ...


NOT_PARSED = {
    "json_invalid": "Parse error: the line is not valid JSON",
    "string_unicode": "Parse error: the line is not valid UTF-8",
}
"""Pydantic's error types for a line that does not parse, and what the client is told."""
NOT_ONE_MESSAGE = "Invalid Request: a line must hold one JSON-RPC message object (no batches)"


async def serve_stdio(server: MCPServer) -> None:
    """Serve ``server`` on stdin and stdout until stdin closes."""
    import anyio
    from mcp.server.stdio import stdio_server
    from mcp.shared.message import SessionMessage

    # A duplicate of fd 0: closing this reader never closes the process's stdin.
    lines = io.TextIOWrapper(
        os.fdopen(os.dup(sys.stdin.fileno()), "rb"), encoding="utf-8", errors="surrogateescape"
    )
    # The SDK keeps its protocol server here; MCPServer.run offers no way to put a filter
    # between the transport and the server, which answering unparsable lines needs.
    protocol = server._lowlevel_server
    async with stdio_server(stdin=anyio.wrap_file(lines)) as (received, sent):
        forward, to_server = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        async with anyio.create_task_group() as group:
            group.start_soon(_answer_unparsable, received, forward, sent)
            await protocol.run(to_server, sent, protocol.create_initialization_options())


async def _answer_unparsable(
    received: AsyncIterable[SessionMessage | Exception],
    forward: MemoryObjectSendStream[SessionMessage | Exception],
    sent: Sender,
) -> None:
    """Pass what parsed on to the server; answer each line that did not, at once."""
    from mcp.shared.message import SessionMessage
    from mcp.types import JSONRPCError

    async with forward:
        async for item in received:
            if isinstance(item, Exception):
                answer = JSONRPCError(jsonrpc="2.0", id=None, error=error_for(item))
                await sent.send(SessionMessage(answer))
            else:
                await forward.send(item)


def error_for(failure: Exception) -> ErrorData:
    """The JSON-RPC error for a line the SDK could not turn into a message."""
    from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData

    details: Any = getattr(failure, "errors", None)
    kinds = [str(detail.get("type")) for detail in details()] if callable(details) else []
    for kind in kinds:
        if kind in NOT_PARSED:
            return ErrorData(code=PARSE_ERROR, message=NOT_PARSED[kind])
    if kinds:  # it parsed, as something other than one message object
        return ErrorData(code=INVALID_REQUEST, message=NOT_ONE_MESSAGE)
    return ErrorData(code=PARSE_ERROR, message=f"Parse error: {failure}")
