"""``tasktiming serve``: a live dashboard of a growing file on the standard library's server.

Read-only and small on purpose: ``GET /`` is the page and ``GET /api/rows`` the file's rows
from a byte offset on; nothing else is served. Each poll reads only the bytes appended since
the client's offset, so a poll costs the same in a run's first minute and in its tenth hour.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import HEADER as COMPANION_HEADER
from pytest_tasktiming.companion import Notes, companion_path
from pytest_tasktiming.records import HEADER, TaskRow, fold, is_header, parse_line
from pytest_tasktiming.reports.html import DEFAULT_THRESHOLD, DEFAULT_TIMEOUT, render_page
from pytest_tasktiming.reports.html.payload import encode_rows, json_bytes

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
CHUNK_BYTES = 2 << 20
"""Bytes read per poll at most: a client catching up on a large file asks again at once."""

_HEADER_BYTES = HEADER.encode("utf-8")
_COMPANION_BYTES = COMPANION_HEADER.encode("utf-8")


def read_since(
    path: str,
    offset: int,
    generation: str | None,
    *,
    limit: int = CHUNK_BYTES,
    notes_offset: int | None = None,
    notes_generation: str | None = None,
) -> dict[str, Any]:
    """The complete rows appended to ``path`` after byte ``offset``, as the page's payload.

    ``generation`` names the file the offset belongs to (device and inode): when the file was
    replaced, truncated, or the offset is not at a line start, the answer starts over from the
    top with ``reset`` set. A torn last line is left for the next poll; unreadable lines are
    counted in ``skipped``. With ``notes_offset``, the lines appended to the companion file
    are read the same way (``notes_gen``, ``notes_offset``, ``notes_reset``; the page keeps
    what they say when they start over, as a companion file only grows).
    """
    answer: dict[str, Any] = {
        "gen": None, "offset": 0, "reset": False, "more": False, "missing": False,
        "error": None, "skipped": 0, "now": clock.wall_ns() / 1e6, "strings": [], "rows": [],
    }  # fmt: skip
    chunk = _new_lines(path, offset, generation, limit, _HEADER_BYTES)
    if chunk.error == _NOT_OURS:
        chunk.error = f"{path} is not a task-timing file: its first line is not the header"
    rows, skipped = _parse(chunk.data)
    answer.update(
        gen=chunk.gen, offset=chunk.offset, reset=chunk.reset, more=chunk.more,
        missing=chunk.missing, error=chunk.error, skipped=skipped,
    )  # fmt: skip
    notes = Notes()
    if notes_offset is not None:
        noted = _new_lines(
            companion_path(path), notes_offset, notes_generation, limit, _COMPANION_BYTES
        )
        notes.add_lines(noted.data.splitlines())
        answer.update(notes_gen=noted.gen, notes_offset=noted.offset, notes_reset=noted.reset)
        answer["more"] = answer["more"] or noted.more
    answer.update(encode_rows(fold(rows).values(), notes))
    return answer


_NOT_OURS = "not ours"


@dataclass(slots=True)
class _Chunk:
    """The complete lines appended to a file since an offset, and where to read on from."""

    gen: str | None = None
    offset: int = 0
    reset: bool = False
    more: bool = False
    missing: bool = False
    error: str | None = None
    data: bytes = b""


def _new_lines(path: str, offset: int, generation: str | None, limit: int, header: bytes) -> _Chunk:
    """The complete lines after ``offset`` (after ``header``, from the top), up to ``limit``."""
    chunk = _Chunk()
    try:
        with open(path, "rb") as stream:
            _read_into(
                chunk, stream, offset=offset, generation=generation, limit=limit, header=header
            )
    except FileNotFoundError:
        chunk.missing, chunk.reset = True, offset != 0
    except OSError as error:  # a directory, no permission: said on the page, polled again
        chunk.error = f"{path}: {error.strerror or error}"
    return chunk


def _read_into(
    chunk: _Chunk,
    stream: BinaryIO,
    *,
    offset: int,
    generation: str | None,
    limit: int,
    header: bytes,
) -> None:
    info = os.fstat(stream.fileno())
    current = f"{info.st_dev}-{info.st_ino}"
    if offset and (
        generation != current or offset > info.st_size or not _at_line_start(stream, offset)
    ):
        chunk.reset = True
        offset = 0
    chunk.gen = current
    if offset == 0:
        stream.seek(0)
        first = stream.readline()
        if not first.endswith(b"\n"):  # empty, or the header is being written
            return
        ours = is_header(first[:-1]) if header == _HEADER_BYTES else first == header
        if not ours:
            chunk.error = _NOT_OURS
            return
        offset = len(first)
    stream.seek(offset)
    data = stream.read(limit)
    if len(data) == limit and b"\n" not in data:  # one line longer than a chunk
        data += stream.readline()
    chunk.data = data[: data.rfind(b"\n") + 1]
    chunk.offset = offset + len(chunk.data)
    chunk.more = len(data) >= limit


def _at_line_start(stream: BinaryIO, offset: int) -> bool:
    stream.seek(offset - 1)
    return bool(stream.read(1) == b"\n")


def _parse(data: bytes) -> tuple[list[TaskRow], int]:
    rows: list[TaskRow] = []
    skipped = 0
    for line in data.split(b"\n")[:-1]:
        try:
            rows.append(parse_line(line))
        except ValueError:
            skipped += 1
    return rows, skipped


class DashboardServer(ThreadingHTTPServer):
    """Serves the dashboard of one file; ``url`` is where to point a browser."""

    daemon_threads = True

    def __init__(
        self,
        path: str,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        threshold: float = DEFAULT_THRESHOLD,
        poll_ms: int = 1000,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.host = host
        self.file_path = path
        self.page = render_page(
            kind="live",
            source=path,
            payload=encode_rows(()),
            timeout=timeout,
            threshold=threshold,
            poll_ms=poll_ms,
        ).encode("utf-8")
        self.loopback_only = _is_loopback(host)

    @property
    def url(self) -> str:
        """The page's address, e.g. ``http://127.0.0.1:8765/``."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.server_address[1]}/"

    def host_allowed(self, header: str | None) -> bool:
        """On loopback, only a loopback ``Host``: a web page a user visits cannot re-point
        its own domain at this server (DNS rebinding) and read the file."""
        if not self.loopback_only:
            return True
        name = urlsplit("//" + (header or "")).hostname
        return name is not None and _is_loopback(name)


def _is_byte_offset(text: str) -> bool:
    """ASCII digits, at most 18 (``str.isdigit`` also takes ``²``, which ``int`` refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "tasktiming"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        if not self.server.host_allowed(self.headers.get("Host")):
            self._send(HTTPStatus.FORBIDDEN, b"forbidden host\n", "text/plain", send_body)
            return
        url = urlsplit(self.path)
        if url.path == "/":
            self._send(HTTPStatus.OK, self.server.page, "text/html", send_body)
        elif url.path == "/api/rows":
            query = parse_qs(url.query)
            offset_text = query.get("offset", ["0"])[0]
            notes_text = query.get("notes", [None])[0]  # the companion file's offset
            for text in (offset_text, notes_text or "0"):
                if not _is_byte_offset(text):
                    error = json.dumps({"error": f"offset {text!r} is not a byte offset"})
                    self._send(
                        HTTPStatus.BAD_REQUEST, error.encode(), "application/json", send_body
                    )
                    return
            answer = read_since(
                self.server.file_path,
                int(offset_text),
                query.get("gen", [None])[0],
                notes_offset=None if notes_text is None else int(notes_text),
                notes_generation=query.get("ngen", [None])[0],
            )
            body = json_bytes(answer)
            self._send(HTTPStatus.OK, body, "application/json", send_body)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", send_body)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "frame-ancestors 'none'")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the page polls every second and would flood the terminal."""
