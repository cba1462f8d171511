"""The fuzzer: random and mutated files through ``read_rows`` and every command that reads one.

Half the files come with a companion file beside them (``.meta.jsonl``: generated JSON lines
with hostile limits, thresholds and messages, then mutated), which ``check``, ``html``,
``merge``, ``compact`` and the dashboard read; it is an input like the other.

Whatever the bytes, ``read_rows`` raises nothing but ``FormatError``, and each command ends
with exit status 0, 1 or 2, no traceback, at most one ``tasktiming: error:`` line, within a
minute, and leaves its input as it was, unless it exists to change it: ``start`` and ``stop``
append one whole line (after cutting a torn tail), ``validate --repair`` cuts a torn tail and
nothing else. What a command writes elsewhere (``-o``) reads back. A fixed seed and a few
hundred files in the normal run; ``pytest tests/test_fuzz.py --fuzz-long`` runs thousands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from history_files import KNOWN, rows_of, write_history
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from pytest_tasktiming import FormatError, read_rows
from pytest_tasktiming.cli import main
from pytest_tasktiming.companion import HEADER as COMPANION_HEADER
from pytest_tasktiming.companion import companion_path, read_notes
from pytest_tasktiming.integrations.mcp import TaskBoard
from pytest_tasktiming.records import HEADER, escape, format_row, parse_line
from pytest_tasktiming.reports.dashboard import read_since

UTC = dt.timezone.utc
T = "2026-11-24T21:02:56.123456+00:00"
TASK_IDS = ["a-1", "a-2", "b-1", "c-1"]
HOSTILE_TIMES = [
    "", "noon", T.replace("+00:00", "+02:00"), T.replace("123456", "12x456"),
    T.replace("123456", "12\u00b3456"), T.replace("2026", "\u0662\u0660\u0662\u0666"),
    "0001-01-01T00:00:00.000000+00:00", "9999-12-31T23:59:59.999999+00:00", "2026-11-24",
    "2026-11-24T21:02:56Z", T + "x", T[:-1], "2026-W48-2T21:02:56+00:00",
]  # fmt: skip
HOSTILE_DURATIONS = [
    "", "nan", "NaN", "inf", "-inf", "-1", "-0", "1e308", "1e309", "1000000000",
    "1000000000.000001", "9" * 400, "1_000", " 1", "0x10", "1e-400", "\u00b2", "\u0663",
    "0.000001", "1.5",
]  # fmt: skip
RESULTS = [
    "started", "completed", "failed", "timeout", "recovered", "passed", "skipped", "error",
    "started\r", "", "STARTED",
]  # fmt: skip
HEADERS = [HEADER, HEADER.replace("\n", "\r\n"), "", "\ufeff" + HEADER, HEADER[:-1], "a\tb\n"]

times = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat(timespec="microseconds")),
    st.sampled_from(HOSTILE_TIMES),
    st.text(max_size=34),
)
durations = st.one_of(
    st.floats(min_value=0, max_value=1e6).map(lambda seconds: f"{seconds:.6f}"),
    st.sampled_from(HOSTILE_DURATIONS),
    st.text(max_size=12),
)
names = st.one_of(st.sampled_from(["job", "build", "deploy"]), st.text(max_size=30))
fields = st.tuples(
    times,
    names,
    st.one_of(st.sampled_from(TASK_IDS), st.text(max_size=12)),
    times,
    st.one_of(st.just(""), times),
    st.one_of(st.just(""), durations),
    names,
    st.one_of(st.sampled_from(RESULTS), st.text(max_size=12)),
)


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One line: eight fields, escaped or raw, sometimes one too few or too many."""
    values = list(draw(fields))
    if draw(st.booleans()):
        values = [escape(value) for value in values]
    shape = draw(st.sampled_from(["eight"] * 8 + ["fewer", "more"]))
    if shape == "fewer":
        values.pop()
    elif shape == "more":
        values.append(draw(st.text(max_size=8)))
    return "\t".join(values)


@st.composite
def files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file's name suffix and bytes: generated lines or the known history, then mutated."""
    if draw(st.booleans()):
        body = draw(st.sampled_from(HEADERS))
        ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
        rows = draw(st.lists(lines(), max_size=12))
        body += "".join(line + ending for line in rows)
        if draw(st.booleans()):
            body += draw(lines())  # a torn last line
        data = body.encode("utf-8", "surrogatepass")  # lone surrogates: invalid UTF-8
    else:
        data = KNOWN_BYTES
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        byte = bytes([draw(st.integers(0, 255))])
        if operation == "flip" and position < len(data):
            data = data[:position] + byte + data[position + 1 :]
        elif operation == "insert":
            data = data[:position] + byte + data[position:]
        elif operation == "delete":
            data = data[:position] + data[position + 1 :]
        elif operation == "cut":
            data = data[:position]
    if draw(st.integers(0, 9)) == 0:
        compressed = gzip.compress(data)
        return ".tsv.gz", compressed[: draw(st.integers(0, len(compressed)))]
    return ".tsv", data


NOTE_IDS = [*TASK_IDS, "aaaa-1", "aaaa-4", "bbbb-3", "bbbb-"]
HOSTILE_NUMBERS: list[object] = [
    0, 0.5, 1, 3600, -1, 1e308, 10**400, True, None, "1", [], {}, 1e-9, 0.8, 2,
]  # fmt: skip
note_values = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
notes = st.fixed_dictionaries(
    {},
    optional={
        "task_id": st.one_of(st.sampled_from(NOTE_IDS), note_values),
        "task_ids": st.one_of(st.sampled_from(["aaaa-", "bbbb-", ""]), note_values),
        "task": st.one_of(names, note_values),
        "mode": st.one_of(st.sampled_from(["pytest", "shell", "code"]), note_values),
        "limit": note_values,
        "threshold": note_values,
        "enforce": note_values,
        "message": st.one_of(st.text(max_size=400), note_values),
        "stack": note_values,
        "worker": note_values,
    },
)


@st.composite
def companions(draw: st.DrawFn) -> bytes:
    """A companion file: a header or not, JSON lines (NaN and Infinity too) or text, mutated."""
    header = draw(st.sampled_from([COMPANION_HEADER] * 3 + ["", "{}\n", HEADER]))
    body = [
        draw(st.one_of(notes.map(json.dumps), st.text(max_size=40), st.just("[1, 2]")))
        for _ in range(draw(st.integers(0, 8)))
    ]
    data = (header + "".join(line + "\n" for line in body)).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # a torn line, or less
    return data


KNOWN_BYTES = (HEADER + "".join(format_row(row) for run in KNOWN for row in rows_of(run))).encode()


def run(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in a thread of its own, so that a hang fails the test instead of it."""
    out, err = io.StringIO(), io.StringIO()
    outcome: dict[str, Any] = {}

    def target() -> None:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                outcome["status"] = main(argv)
            except BaseException as error:  # a traceback, reported with its input below
                outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), f"{argv} hangs"
    if "error" in outcome:
        raise AssertionError(f"{argv} raised instead of exiting") from outcome["error"]
    return outcome["status"], out.getvalue(), err.getvalue()


def check_exit(argv: list[str], status: int, err: str, *, findings: bool = False) -> None:
    assert status in ((0, 1, 2) if findings else (0, 2)), (argv, status, err)
    assert "Traceback" not in err, (argv, err)
    errors = [line for line in err.splitlines() if line.startswith("tasktiming: error: ")]
    assert len(errors) == (status == 2), (argv, status, err)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_appended(before: bytes, after: bytes, status: int, argv: list[str]) -> None:
    """``start``/``stop``: unchanged on an error, else whole lines kept plus one new line."""
    if status != 0:
        assert after == before, argv
        return
    kept = before[: before.rfind(b"\n") + 1] or HEADER.encode()  # an empty file gets the header
    assert after.startswith(kept), argv
    added = after[len(kept) :]
    assert added.count(b"\n") == 1 and added.endswith(b"\n"), argv
    parse_line(added[:-1])  # a row every reader takes


def check_file(tmp: Path, suffix: str, data: bytes, companion: bytes | None) -> None:
    path = tmp / f"fuzzed{suffix}"
    path.write_bytes(data)
    notes_path = Path(companion_path(str(path)))
    if companion is not None:
        notes_path.write_bytes(companion)
        read_notes(path)  # whatever the lines, notes or nothing: never an exception
    good = write_history(tmp / "good.tsv", KNOWN[:3])
    todo = tmp / "TODO.md"
    todo.write_text("- [ ] job\n- [x] build\n", encoding="utf-8")
    original = digest(path)
    original_notes = digest(notes_path) if companion is not None else None

    for strict in (True, False):
        with contextlib.suppress(FormatError):  # a bad line, or a damaged .gz
            list(read_rows(path, strict=strict))

    reading = [
        ["report", str(path)],
        ["report", str(path), "--by", "run", "--format", "json"],
        ["check", str(path), "--max", "60"],
        ["check", str(path), "--slower", "2", "--min-runs", "1", "--format", "json"],
        ["status", str(path)],
        ["report", str(path), "--by", "day", "--format", "csv"],
        ["validate", str(path)],
        ["todo", str(todo), "--file", str(path)],
        ["html", str(path), "-o", str(tmp / "page.html")],
        ["merge", str(path), str(good), "-o", str(tmp / "merged.tsv")],
        ["compact", str(path), "-o", str(tmp / "compact.tsv")],
    ]
    for argv in reading:
        status, _, err = run(argv)
        check_exit(argv, status, err, findings=argv[0] in ("check", "validate", "status"))
        assert digest(path) == original, f"{argv} changed its input"
        if companion is not None:
            assert digest(notes_path) == original_notes, f"{argv} changed the companion file"
        if status == 0 and argv[0] in ("merge", "compact"):
            list(read_rows(argv[-1]))  # what was written reads back, strictly
            read_notes(argv[-1])
        if status == 0 and argv[0] == "html":
            page = (tmp / "page.html").read_text(encoding="utf-8")
            data_json = re.search(r'id="tt-data">(.*?)</script>', page, re.S)
            assert data_json is not None
            json.loads(data_json.group(1), parse_constant=_not_json)

    json.dumps(read_since(str(path), 0, None, notes_offset=0), allow_nan=False)
    board = TaskBoard(str(path))
    for ask in (board.running, board.report):
        with contextlib.suppress(ValueError, OSError):  # answered as tool errors
            ask()
    assert digest(path) == original

    for argv in (
        ["stop", TASK_IDS[0], "--file", str(path)],
        ["start", "fuzzed", "--file", str(path)],
    ):
        before = path.read_bytes()
        status, _, err = run(argv)
        check_exit(argv, status, err)
        check_appended(before, path.read_bytes(), status, argv)

    before = path.read_bytes()
    status, _, err = run(["validate", str(path), "--repair"])
    check_exit(["repair"], status, err, findings=True)
    after = path.read_bytes()
    assert before.startswith(after) and b"\n" not in before[len(after) :]


def _not_json(name: str) -> None:
    raise AssertionError(f"{name} in the page's JSON")


def test_no_file_makes_a_command_crash_hang_or_change_its_input(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    examples = 5_000 if request.config.getoption("--fuzz-long") else 300
    ran = 0

    @seed(20261205)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(files(), st.one_of(st.none(), companions()))
    def one_file(file: tuple[str, bytes], companion: bytes | None) -> None:
        nonlocal ran
        ran += 1
        check_file(tmp_path_factory.mktemp("fuzz"), *file, companion)

    one_file()
    print(f"fuzzed {ran} files")
