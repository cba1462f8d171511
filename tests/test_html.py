"""The HTML report as a file: self-contained, escaped, and carrying exactly the file's tasks."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from pytest_tasktiming import FormatError, TaskRow
from pytest_tasktiming.cli import main
from pytest_tasktiming.records import HEADER, format_row
from pytest_tasktiming.reports.html import render_page, render_report, write_html_report
from pytest_tasktiming.reports.html.payload import encode_rows, script_json

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 24, 21, 0, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> \"double\" 'single'\ttab & </script><!-- \u2028"


def make_row(task_id: str, result: str, *, task: str = "build", at: float = 0.0,
             duration: float = 1.5, mode: str = "code") -> TaskRow:  # fmt: skip
    start = START + dt.timedelta(seconds=at)
    if result == "started":
        return TaskRow(start, mode, task_id, start, None, None, task, result)
    end = start + dt.timedelta(seconds=duration)
    return TaskRow(end, mode, task_id, start, end, duration, task, result)


def write_tsv(path: Path, rows: list[TaskRow], extra: str = "") -> Path:
    path.write_text(HEADER + "".join(format_row(row) for row in rows) + extra, encoding="utf-8")
    return path


def embedded(page: str, element_id: str) -> object:
    """The JSON of ``<script type="application/json" id=...>``, read as the browser would."""
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def test_report_embeds_one_row_per_task_with_the_final_row_winning(tsv_path: Path) -> None:
    rows = [
        make_row("a", "started"),
        make_row("b", "started", at=1),
        make_row("a", "failed"),
        make_row("c", "passed", task="tests/test_x.py::test_y", mode="pytest"),
    ]
    page = render_report(write_tsv(tsv_path, rows))

    data = embedded(page, "tt-data")
    assert isinstance(data, dict)
    strings = data["strings"]
    assert data["t0"] == START.timestamp() * 1000
    folded = {row[0]: (strings[row[2]], row[3], row[4], strings[row[5]]) for row in data["rows"]}
    assert folded == {
        "a": ("build", 0.0, 1.5, "failed"),
        "b": ("build", 1000.0, None, "started"),
        "c": ("tests/test_x.py::test_y", 0.0, 1.5, "passed"),
    }


def test_repeated_names_are_sent_once_in_the_string_table() -> None:
    rows = [make_row(str(i), "completed", task="same", at=i) for i in range(50)]
    payload = encode_rows(rows)
    assert payload["strings"] == ["code", "same", "completed"]
    assert {row[2] for row in payload["rows"]} == {1}


def test_hostile_task_name_never_appears_as_markup_but_round_trips(tsv_path: Path) -> None:
    page = render_report(write_tsv(tsv_path, [make_row("x", "failed", task=HOSTILE, mode=HOSTILE)]))

    assert "<script>alert(1)" not in page
    assert "<!--" not in page.split("<body>")[1]
    assert page.count("</script>") == 3  # the two JSON blocks and the page's own script
    data = embedded(page, "tt-data")
    assert isinstance(data, dict)
    assert data["strings"][data["rows"][0][2]] == HOSTILE


def test_script_json_escapes_what_could_end_a_script_element() -> None:
    text = script_json({"k": "</script><!--&\u2028"})
    assert not set("<>&") & set(text)
    assert json.loads(text) == {"k": "</script><!--&\u2028"}


def test_file_name_in_the_title_is_escaped(tmp_path: Path) -> None:
    path = write_tsv(tmp_path / "<b>runs&co.tsv", [make_row("a", "completed")])
    page = render_report(path)
    assert "<title>Task timing: &lt;b&gt;runs&amp;co.tsv</title>" in page
    assert "<b>runs" not in page


def test_page_loads_nothing_from_the_network(tsv_path: Path) -> None:
    page = render_report(write_tsv(tsv_path, [make_row("a", "completed")]))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "default-src 'none'" in page


def test_only_the_page_own_script_is_allowed_to_run(tsv_path: Path) -> None:
    page = render_report(write_tsv(tsv_path, [make_row("a", "completed")]))
    script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert "unsafe-inline'; img-src" in page  # styles inline, scripts only by hash
    assert "script-src 'unsafe-inline'" not in page


def test_marker_like_text_in_the_data_is_not_substituted() -> None:
    payload = encode_rows([make_row("a", "completed", task="%SCRIPT% %TITLE%")])
    page = render_page(kind="report", source="f.tsv", payload=payload)
    data = embedded(page, "tt-data")
    assert isinstance(data, dict)
    assert data["strings"][1] == "%SCRIPT% %TITLE%"


def test_unreadable_and_torn_lines_are_skipped_and_counted(tsv_path: Path) -> None:
    rows = [make_row("a", "completed"), make_row("b", "completed", at=2)]
    good = format_row(rows[1])
    write_tsv(tsv_path, rows[:1], extra="not\ta\trow\n" + good + good[:20])

    page = render_report(tsv_path)

    config = embedded(page, "tt-config")
    data = embedded(page, "tt-data")
    assert isinstance(config, dict)
    assert isinstance(data, dict)
    assert config["skipped"] == 2
    assert sorted(row[0] for row in data["rows"]) == ["a", "b"]


def test_now_of_a_report_is_the_latest_moment_in_the_file(tsv_path: Path) -> None:
    page = render_report(write_tsv(tsv_path, [make_row("a", "completed", duration=30.0)]))
    config = embedded(page, "tt-config")
    assert isinstance(config, dict)
    assert config["now"] == pytest.approx((START.timestamp() + 30) * 1000)
    assert config["kind"] == "report"


def test_report_of_rows_already_in_memory(tmp_path: Path) -> None:
    out = write_html_report([make_row("a", "completed")], tmp_path / "report.html", timeout=60)
    page = out.read_text(encoding="utf-8")
    config = embedded(page, "tt-config")
    assert isinstance(config, dict)
    assert config["timeout"] == 60
    assert not list(tmp_path.glob("*.part"))


def test_report_of_a_file_that_is_not_a_timing_file_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "other.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(FormatError, match="expected the header"):
        write_html_report(path, tmp_path / "out.html")
    assert not (tmp_path / "out.html").exists()


def test_report_of_an_empty_timing_file_is_a_page_with_no_tasks(tsv_path: Path) -> None:
    page = render_report(write_tsv(tsv_path, []))
    assert embedded(page, "tt-data") == {"t0": 0.0, "strings": [], "rows": []}
    config = embedded(page, "tt-config")
    assert isinstance(config, dict)
    assert config["now"] is None


# --- the command line ------------------------------------------------------------------


def test_html_command_writes_the_report(
    tsv_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tsv(tsv_path, [make_row("a", "completed")])
    out = tmp_path / "report.html"

    assert main(["html", "-o", str(out), "--timeout", "90m"]) == 0  # FILE from $TASK_TIMING_FILE

    assert capsys.readouterr().out == f"wrote {out}\n"
    config = embedded(out.read_text(encoding="utf-8"), "tt-config")
    assert isinstance(config, dict)
    assert config["timeout"] == 5400
    assert config["source"] == str(tsv_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["missing.tsv"], "missing.tsv: No such file or directory", id="missing-file"),
        pytest.param(["not-timing.tsv"], "expected the header", id="not-a-timing-file"),
        pytest.param(["good.tsv", "--timeout", "soon"], "invalid timeout 'soon'", id="bad-timeout"),
    ],
)
def test_html_command_rejects_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    args: list[str], message: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    write_tsv(tmp_path / "good.tsv", [make_row("a", "completed")])
    (tmp_path / "not-timing.tsv").write_text("name,value\n", encoding="utf-8")

    assert main(["html", *args, "-o", "out.html"]) == 2

    error = capsys.readouterr().err
    assert message in error
    assert error.count("\n") == 1
    assert not (tmp_path / "out.html").exists()


def test_html_console_script_writes_a_page(tsv_path: Path, tmp_path: Path) -> None:
    write_tsv(tsv_path, [make_row("a", "completed")])
    done = subprocess.run(
        ["tasktiming", "html", str(tsv_path), "-o", str(tmp_path / "r.html")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- pytest --task-timing-html -----------------------------------------------------------


def test_pytest_option_writes_the_report_of_the_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n\ndef test_bad():\n    assert False\n")
    result = pytester.runpytest("--task-timing", "--task-timing-html", "out/report.html")
    result.assert_outcomes(passed=1, failed=1)
    pytester.mkdir("out")  # too late on purpose: the first run reports it could not write

    result.stdout.fnmatch_lines(["task timing: could not write the HTML report *report.html*"])
    result = pytester.runpytest("--task-timing", "--task-timing-html", "out/report.html")
    result.stdout.fnmatch_lines(["task timing: HTML report -> *report.html"])
    data = embedded((pytester.path / "out" / "report.html").read_text(encoding="utf-8"), "tt-data")
    assert isinstance(data, dict)
    names = sorted(data["strings"][row[2]] for row in data["rows"])
    module = "test_pytest_option_writes_the_report_of_the_session.py"
    assert names == [f"{module}::test_bad"] * 2 + [f"{module}::test_ok"] * 2


def test_pytest_option_without_task_timing_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = pytester.runpytest("--task-timing-html", "report.html")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--task-timing-html needs --task-timing*"])
    assert not (pytester.path / "report.html").exists()
