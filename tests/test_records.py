"""The TSV format: escaping, formatting, parsing, the fold and streaming reads."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_tasktiming import FormatError, TaskRow, fold, read_rows
from pytest_tasktiming.records import (
    HEADER,
    LineFormatter,
    escape,
    format_duration,
    format_row,
    new_task_id,
    parse_fields,
    unescape,
)

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 24, 21, 2, 56, 123456, tzinfo=UTC)

aware_times = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=st.just(UTC)
)


def make_row(**changes: object) -> TaskRow:
    fields: dict[str, object] = {
        "timestamp": START + dt.timedelta(seconds=2),
        "mode": "code",
        "task_id": "abc-1",
        "start_time": START,
        "end_time": START + dt.timedelta(seconds=1.5),
        "duration": 1.5,
        "task": "build",
        "result": "completed",
    }
    fields.update(changes)
    return TaskRow(**fields)  # type: ignore[arg-type]


def parse_line(line: str) -> TaskRow:
    return parse_fields([unescape(field) for field in line.rstrip("\n").split("\t")])


def write_file(path: Path, *lines: str, header: bool = True) -> Path:
    path.write_text((HEADER if header else "") + "".join(lines), encoding="utf-8")
    return path


@given(st.text())
def test_any_string_round_trips_through_escape(text: str) -> None:
    escaped = escape(text)
    assert not {"\t", "\n", "\r"} & set(escaped)
    assert unescape(escaped) == text


@given(
    st.text(),
    st.text(),
    aware_times,
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)),
)
def test_a_row_survives_formatting_and_parsing(
    task: str, mode: str, start: dt.datetime, duration: float | None
) -> None:
    end = None if duration is None else start + dt.timedelta(seconds=duration)
    row = make_row(task=task, mode=mode, start_time=start, end_time=end, duration=duration,
                   timestamp=start)  # fmt: skip
    line = format_row(row)
    assert line.endswith("\n") and line.count("\n") == 1 and line.count("\t") == 7
    parsed = parse_line(line)
    assert (parsed.task, parsed.mode, parsed.start_time) == (task, mode, start)
    assert parsed.end_time == (None if end is None else end.replace(microsecond=end.microsecond))
    if duration is None:
        assert parsed.duration is None
    else:
        assert parsed.duration == pytest.approx(duration, abs=1e-6)


def test_row_line_matches_the_contract_exactly() -> None:
    line = format_row(make_row(task="tab\there", result="completed"))
    assert line == (
        "2026-11-24T21:02:58.123456+00:00\tcode\tabc-1\t2026-11-24T21:02:56.123456+00:00\t"
        "2026-11-24T21:02:57.623456+00:00\t1.500000\ttab\\there\tcompleted\n"
    )


def test_started_row_leaves_end_time_and_duration_empty() -> None:
    line = format_row(make_row(end_time=None, duration=None, result="started"))
    assert line.split("\t")[4:6] == ["", ""]


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        pytest.param(0, "0.000000", id="zero"),
        pytest.param(1_499, "0.000001", id="rounds-half-up-to-the-microsecond"),
        pytest.param(1_234_567_890_123, "1234.567890", id="large"),
    ],
)
def test_durations_have_six_fractional_digits(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_timestamp_cache_is_not_fooled_by_a_new_second() -> None:
    formatter = LineFormatter()
    second = 1_795_000_000
    assert formatter.iso(second * 10**9 + 999_999_000).endswith(":40.999999+00:00")
    assert formatter.iso((second + 1) * 10**9).endswith(":41.000000+00:00")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_row(make_row(start_time=dt.datetime(2026, 1, 1)))


def test_task_ids_are_unique_and_differ_between_processes() -> None:
    ids = {new_task_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    code = "from pytest_tasktiming.records import new_task_id; print(new_task_id())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() not in ids


def test_reader_streams_rows_with_their_types(tmp_path: Path) -> None:
    path = write_file(tmp_path / "t.tsv", format_row(make_row()), format_row(make_row(task_id="b")))
    rows = list(read_rows(path))
    assert [row.task_id for row in rows] == ["abc-1", "b"]
    assert rows[0].start_time == START and rows[0].duration == 1.5


def test_reader_reads_gzip_files(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(HEADER + format_row(make_row()))
    assert [row.task for row in read_rows(path)] == ["build"]


def test_torn_last_line_is_reported_not_fatal(tmp_path: Path) -> None:
    torn = format_row(make_row(task_id="torn"))[:25]
    path = write_file(tmp_path / "t.tsv", format_row(make_row()), torn)
    reader = read_rows(path)
    assert [row.task_id for row in reader] == ["abc-1"]
    assert reader.torn_line == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("", "1: file is empty", id="empty"),
        pytest.param("a\tb\n", "1: expected the header", id="wrong-header"),
        pytest.param(
            HEADER + "x\ty\n", "2: expected 8 tab-separated fields, found 2", id="columns"
        ),
        pytest.param(
            HEADER + "nope" + format_row(make_row())[32:], "2: timestamp 'nope' is not", id="time"
        ),
    ],
)
def test_bad_files_raise_format_errors_with_line_numbers(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        list(read_rows(path))


def test_binary_garbage_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_bytes(HEADER.encode() + b"\xff\xfe\x00garbage\n")
    with pytest.raises(FormatError, match="2: line is not valid UTF-8"):
        list(read_rows(path))


def test_lenient_reader_keeps_errors_and_goes_on(tmp_path: Path) -> None:
    path = write_file(tmp_path / "t.tsv", "junk\n", format_row(make_row()))
    reader = read_rows(path, strict=False)
    assert [row.task_id for row in reader] == ["abc-1"]
    assert [error.line for error in reader.errors] == [2]


def test_non_utc_timestamps_are_rejected(tmp_path: Path) -> None:
    line = format_row(make_row()).replace("+00:00", "+02:00", 1)
    with pytest.raises(FormatError, match="not an ISO 8601 UTC timestamp"):
        list(read_rows(write_file(tmp_path / "t.tsv", line)))


def test_fold_keeps_the_final_row_even_when_started_comes_later() -> None:
    started = make_row(task_id="a", result="started", end_time=None, duration=None)
    final = make_row(task_id="a", result="failed")
    running = make_row(task_id="b", result="started", end_time=None, duration=None)
    tasks = fold([final, started, running])
    assert tasks["a"].result == "failed"
    assert tasks["b"].result == "started"
    assert fold([started, final])["a"] == final


def reference_iso(ns: int) -> str:
    moment = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=ns // 1000)
    return moment.isoformat(timespec="microseconds")


# From the year 1 (years before 1000 need their leading zeros) to 2191.
nanoseconds = st.integers(min_value=-62_135_596_800 * 10**9, max_value=7_000_000_000 * 10**9)


@given(st.lists(st.tuples(nanoseconds, st.integers(0, 10**13), st.booleans()), max_size=20))
def test_the_batch_formatter_agrees_with_datetime_across_seconds(
    times: list[tuple[int, int, bool]],
) -> None:
    rows = []  # each task's started row, then (as recorders write them) often its final row
    for start, duration, final in times:
        rows.append((start, "m", "id", start, None, None, "t", "started"))
        if final:
            rows.append((start + duration, "m", "id", start, start + duration, duration, "t", "r"))
    for row, line in zip(rows, LineFormatter().lines(rows), strict=True):
        fields = line.split("\t")
        assert fields[0] == reference_iso(row[0])
        assert fields[3] == reference_iso(row[3])
        assert fields[4] == ("" if row[4] is None else reference_iso(row[4]))
