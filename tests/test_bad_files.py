"""Hostile values and line ends: every command that reads a file judges them the same way."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from history_files import KNOWN, write_history

from pytest_tasktiming import FormatError, read_rows
from pytest_tasktiming.records import HEADER
from pytest_tasktiming.reports.dashboard import read_since

T = "2026-11-24T21:02:56.123456+00:00"


def strict_json(text: str) -> object:
    """JSON as a browser's ``JSON.parse`` reads it: no NaN, no Infinity."""
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))


def final_row(duration: str, task_id: str = "x-1", start: str = T) -> str:
    return f"{T}\tci\t{task_id}\t{start}\t{T}\t{duration}\tjob\tcompleted\n"


@pytest.mark.parametrize(
    ("duration", "problem"),
    [
        pytest.param("nan", "is not a number of seconds", id="nan"),
        pytest.param("inf", "is not a number of seconds", id="inf"),
        pytest.param("-inf", "is not a number of seconds", id="minus-inf"),
        pytest.param("1e308", "is longer than any task runs (at most 1000000000 s)", id="1e308"),
    ],
)
def test_a_duration_that_is_no_number_of_seconds_is_one_verdict_everywhere(
    run, tmp_path: Path, duration: str, problem: str
) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(HEADER + final_row("1.0", "ok-1") + final_row(duration) * 2, encoding="utf-8")
    line = f"{path}:3: duration '{duration}' {problem}"

    with pytest.raises(FormatError, match=re.escape(line)):
        list(read_rows(path))
    status, out, _ = run("validate", str(path))
    assert status == 1
    assert f"{line}\n" in out
    for argv in (["report"], ["check"], ["compact", "-o", str(tmp_path / "c.tsv")]):
        assert run(argv[0], str(path), *argv[1:]) == (2, "", f"tasktiming: error: {line}\n")
    assert run("merge", str(path), "-o", str(tmp_path / "m.tsv")) == (
        2,
        "",
        f"tasktiming: error: {line}\n",
    )
    assert not (tmp_path / "c.tsv").exists() and not (tmp_path / "m.tsv").exists()

    assert run("html", str(path), "-o", str(tmp_path / "r.html"))[0] == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="tt-data">(.*?)</script>', page, re.S)
    assert data is not None
    payload = strict_json(data.group(1))
    assert isinstance(payload, dict) and [row[0] for row in payload["rows"]] == ["ok-1"]
    answer = read_since(str(path), 0, None)
    assert answer["skipped"] == 2
    strict_json(json.dumps(answer))


def without_elapsed(answer: tuple[int, str, str]) -> str:
    """An answer without the time an interrupted task has run so far, which grows."""
    return re.sub(r"interrupted +[\d.]+", "interrupted", repr(answer))


def test_a_crlf_file_reads_exactly_as_the_same_file_with_lf(run, tmp_path: Path) -> None:
    lf = write_history(tmp_path / "lf.tsv", KNOWN)
    crlf = tmp_path / "crlf.tsv"
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))

    assert list(read_rows(crlf)) == list(read_rows(lf))
    for argv in (["report"], ["report", "--format", "json"], ["check", "--max", "6.5"]):
        from_crlf, from_lf = (run(argv[0], str(name), *argv[1:]) for name in (crlf, lf))
        assert without_elapsed(from_crlf) == without_elapsed(from_lf)
    validated = run("validate", str(crlf))
    assert validated[0] == 0
    assert validated[1].endswith(f"{crlf}: 13 rows, 0 problems, 1 interrupted\n")
    for name in (lf, crlf):
        assert run("compact", str(name), "-o", str(name.with_suffix(".c.tsv")))[0] == 0
    assert (tmp_path / "crlf.c.tsv").read_bytes() == (tmp_path / "lf.c.tsv").read_bytes()


def test_a_crlf_file_takes_new_rows_and_still_reads(run, tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.tsv"
    crlf.write_bytes(write_history(crlf, KNOWN).read_bytes().replace(b"\n", b"\r\n"))
    status, task_id, _ = run("start", "on windows", "--file", str(crlf))
    assert status == 0
    assert run("stop", task_id.strip(), "--file", str(crlf))[0] == 0
    assert [row.result for row in read_rows(crlf)][-2:] == ["started", "completed"]
    assert run("validate", str(crlf))[0] == 0


def test_the_report_checks_the_microseconds_of_a_start_in_the_same_second(
    run, tmp_path: Path
) -> None:
    bad = T.replace("123456", "12x456")
    path = tmp_path / "micro.tsv"
    path.write_text(HEADER + final_row("1.0") + final_row("1.0", "x-2", start=bad), "utf-8")
    line = f"{path}:3: start_time '{bad}' is not an ISO 8601 UTC timestamp"
    assert run("report", str(path)) == (2, "", f"tasktiming: error: {line}\n")
    assert f"{line}\n" in run("validate", str(path))[1]
    superscript = T.replace("123456", "12\u00b3456")
    path.write_text(HEADER + final_row("1.0") + final_row("1.0", "x-2", superscript), "utf-8")
    assert run("report", str(path))[0] == 2
