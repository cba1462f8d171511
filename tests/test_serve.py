"""The live dashboard server: reads by byte offset, and serves nothing but the page."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from processes import ctrl_c_reaches_children
from test_html import make_row

from pytest_tasktiming.cli import main
from pytest_tasktiming.records import HEADER, format_row
from pytest_tasktiming.reports.dashboard import DashboardServer, read_since


def line(task_id: str, result: str, **changes: object) -> str:
    return format_row(make_row(task_id, result, **changes))  # type: ignore[arg-type]


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as stream:
        stream.write(text)


def ids(answer: dict[str, object]) -> list[str]:
    rows = answer["rows"]
    assert isinstance(rows, list)
    return [row[0] for row in rows]


def test_each_read_returns_only_what_was_appended_since_the_offset(tsv_path: Path) -> None:
    tsv_path.write_text(HEADER + line("a", "started"), encoding="utf-8")
    first = read_since(str(tsv_path), 0, None)
    assert ids(first) == ["a"]

    append(tsv_path, line("a", "completed") + line("b", "started", at=2))
    second = read_since(str(tsv_path), first["offset"], first["gen"])

    assert ids(second) == ["a", "b"]
    assert second["reset"] is False
    assert second["offset"] == tsv_path.stat().st_size
    assert ids(read_since(str(tsv_path), second["offset"], second["gen"])) == []


def test_bytes_before_the_offset_are_never_read_again(tsv_path: Path) -> None:
    # Garbage before the offset would be counted as skipped if a poll re-read the file.
    tsv_path.write_text(HEADER + "garbage\n" * 1000, encoding="utf-8")
    first = read_since(str(tsv_path), 0, None)
    assert first["skipped"] == 1000

    append(tsv_path, line("a", "completed"))
    second = read_since(str(tsv_path), first["offset"], first["gen"])
    assert second["skipped"] == 0
    assert ids(second) == ["a"]


def test_a_torn_last_line_waits_for_its_end(tsv_path: Path) -> None:
    full = line("a", "completed")
    tsv_path.write_text(HEADER + full[:30], encoding="utf-8")
    first = read_since(str(tsv_path), 0, None)
    assert ids(first) == []
    assert first["offset"] == len(HEADER)

    append(tsv_path, full[30:])
    assert ids(read_since(str(tsv_path), first["offset"], first["gen"])) == ["a"]


def test_a_replaced_file_starts_the_client_over(tsv_path: Path) -> None:
    tsv_path.write_text(HEADER + line("old", "completed"), encoding="utf-8")
    first = read_since(str(tsv_path), 0, None)
    replacement = tsv_path.with_name("new.tsv")
    replacement.write_text(HEADER + line("new", "completed") * 3, encoding="utf-8")
    os.replace(replacement, tsv_path)

    again = read_since(str(tsv_path), first["offset"], first["gen"])

    assert again["reset"] is True
    assert ids(again) == ["new"]


@pytest.mark.parametrize(
    "offset", [pytest.param(10**9, id="past-the-end"), pytest.param(7, id="mid-line")]
)
def test_an_offset_the_file_cannot_have_starts_over(tsv_path: Path, offset: int) -> None:
    tsv_path.write_text(HEADER + line("a", "completed"), encoding="utf-8")
    generation = read_since(str(tsv_path), 0, None)["gen"]
    answer = read_since(str(tsv_path), offset, generation)
    assert answer["reset"] is True
    assert ids(answer) == ["a"]


def test_a_missing_file_is_waited_for(tsv_path: Path) -> None:
    assert read_since(str(tsv_path), 0, None)["missing"] is True
    tsv_path.write_text(HEADER + line("a", "started"), encoding="utf-8")
    answer = read_since(str(tsv_path), 0, None)
    assert answer["missing"] is False
    assert ids(answer) == ["a"]


def test_a_file_without_the_header_is_reported_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "other.tsv"
    path.write_text("name,value\n" + line("a", "completed"), encoding="utf-8")
    answer = read_since(str(path), 0, None)
    assert "not a task-timing file" in answer["error"]
    assert ids(answer) == []


def test_a_large_file_arrives_in_chunks_without_losing_a_row(tsv_path: Path) -> None:
    tsv_path.write_text(
        HEADER + "".join(line(str(i), "completed", at=i) for i in range(300)), encoding="utf-8"
    )
    seen: list[str] = []
    offset, generation, reads = 0, None, 0
    while True:
        answer = read_since(str(tsv_path), offset, generation, limit=1000)
        seen += ids(answer)
        offset, generation, reads = answer["offset"], answer["gen"], reads + 1
        if not answer["more"]:
            break
    assert seen == [str(i) for i in range(300)]
    assert reads > 10


def test_a_line_longer_than_a_chunk_still_arrives(tsv_path: Path) -> None:
    tsv_path.write_text(HEADER + line("a", "completed", task="x" * 5000), encoding="utf-8")
    answer = read_since(str(tsv_path), len(HEADER), read_since(str(tsv_path), 0, None)["gen"],
                        limit=100)  # fmt: skip
    assert ids(answer) == ["a"]


# --- over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def server(
    tsv_path: Path, serving: Callable[[DashboardServer], DashboardServer]
) -> DashboardServer:
    tsv_path.write_text(HEADER + line("a", "started"), encoding="utf-8")
    return serving(DashboardServer(str(tsv_path), port=0))


def request(
    server: DashboardServer, path: str, *, method: str = "GET", host: str | None = None
) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    headers = {"Host": host} if host else {}
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type") or "", body


def test_server_listens_on_loopback_by_default(tsv_path: Path) -> None:
    dashboard = DashboardServer(str(tsv_path), port=0)
    try:
        assert dashboard.server_address[0] == "127.0.0.1"
        assert dashboard.url == f"http://127.0.0.1:{dashboard.server_address[1]}/"
    finally:
        dashboard.server_close()


def test_server_serves_the_live_page(server: DashboardServer) -> None:
    status, kind, body = request(server, "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'"kind":"live"' in body


def test_server_serves_rows_as_json(server: DashboardServer) -> None:
    status, kind, body = request(server, "/api/rows?offset=0")
    assert (status, kind) == (200, "application/json; charset=utf-8")
    assert ids(json.loads(body)) == ["a"]


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        pytest.param("/task_timing.tsv", "GET", 404, id="the-file-itself"),
        pytest.param("/../../etc/passwd", "GET", 404, id="path-traversal"),
        pytest.param("/api/rows?offset=-1", "GET", 400, id="negative-offset"),
        pytest.param("/api/rows?offset=abc", "GET", 400, id="text-offset"),
        pytest.param("/api/rows?offset=%C2%B2", "GET", 400, id="superscript-digit-offset"),
        pytest.param("/api/rows?offset=%D9%A3", "GET", 400, id="arabic-digit-offset"),
        pytest.param("/api/rows?offset=" + "9" * 5000, "GET", 400, id="huge-offset"),
        pytest.param("/api/rows?offset=%FF", "GET", 400, id="not-utf8-offset"),
        pytest.param("/", "POST", 501, id="post"),
        pytest.param("/", "PUT", 501, id="put"),
        pytest.param("/", "DELETE", 501, id="delete"),
    ],
)
def test_server_serves_nothing_else_and_writes_nothing(
    server: DashboardServer, path: str, method: str, status: int
) -> None:
    before = Path(server.file_path).read_bytes()
    assert request(server, path, method=method)[0] == status
    assert Path(server.file_path).read_bytes() == before


def test_rows_of_a_crlf_file_and_a_directory_are_answered(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.tsv"
    crlf.write_bytes((HEADER + line("a", "completed")).replace("\n", "\r\n").encode())
    answer = read_since(str(crlf), 0, None)
    assert (ids(answer), answer["error"], answer["skipped"]) == (["a"], None, 0)
    assert answer["strings"][answer["rows"][0][5]] == "completed"
    assert read_since(str(tmp_path), 0, None)["error"] == f"{tmp_path}: Is a directory"


def test_server_refuses_a_foreign_host_name(server: DashboardServer) -> None:
    assert request(server, "/api/rows", host="attacker.example")[0] == 403
    assert request(server, "/api/rows", host=f"localhost:{server.server_address[1]}")[0] == 200


def test_serve_console_script_serves_until_interrupted(tsv_path: Path) -> None:
    tsv_path.write_text(HEADER + line("a", "completed"), encoding="utf-8")
    with ctrl_c_reaches_children():
        process = subprocess.Popen(
            ["tasktiming", "serve", str(tsv_path), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    with process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            url = re.search(r"at (http://127\.0\.0\.1:\d+/) ", banner)
            assert url is not None, banner
            with urllib.request.urlopen(url.group(1) + "api/rows?offset=0", timeout=10) as reply:
                assert ids(json.load(reply)) == ["a"]
        finally:
            process.send_signal(signal.SIGINT)
            try:
                _, errors = process.communicate(timeout=60)
            finally:
                process.kill()  # never left running for a later test to trip over
    assert process.returncode == 130
    assert "Traceback" not in errors


def test_serve_command_reports_a_busy_port_in_one_line(
    server: DashboardServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", server.file_path, "--port", str(server.server_address[1])]) == 2
    error = capsys.readouterr().err
    assert "Address already in use" in error
    assert error.count("\n") == 1
