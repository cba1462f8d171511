"""Reading a history: the recent durations, and the incremental index in a cache directory."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from history_files import Run, at, recorded, write_history

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.history.index import load
from pytest_tasktiming.history.recent import RECENT, History
from pytest_tasktiming.records import HEADER, FinalRuns


def append_runs(path: Path, task: str, durations: list[float], result: str = "passed") -> int:
    """Append final rows (after their started rows); return the bytes appended."""
    extra = path.with_name("extra.tsv")
    write_history(
        extra,
        [
            Run(task, d, result, f"more{i:08x}-1", at(100 + i), mode="pytest")
            for i, d in enumerate(durations)
        ],
    )
    data = extra.read_bytes()[len(HEADER) :]
    with path.open("ab") as stream:
        stream.write(data)
    return len(data)


def test_recorded_duration_is_the_median_of_the_recent_successful_runs(tmp_path: Path) -> None:
    path = tmp_path / "history.tsv"
    runs = [Run("t", float(n), "passed", f"a{n:011x}-1", at(n)) for n in range(1, 15)]
    runs += [
        Run("t", 99.0, "failed", "b00000000000-1", at(20)),
        Run("u", 5.0, "timeout", "c-1", at(21)),
    ]
    write_history(path, runs)
    history = load(path).history
    # The last 10 successful runs are 5..14 s: the failure and the timeout do not count.
    assert history.recent("t") == [float(n) for n in range(15 - RECENT, 15)]
    assert history.recorded("t") == 9.5
    assert history.recorded("u") is None
    assert history.recent("unknown") == []


def test_an_index_is_built_then_extended_by_reading_only_the_appended_bytes(
    tmp_path: Path,
) -> None:
    path = recorded(tmp_path / "history.tsv", {"a": 1.0, "b": 2.0})
    cache = tmp_path / "cache"
    first = load(path, cache)
    assert (first.how, first.read_bytes) == ("built", path.stat().st_size)
    again = load(path, cache)
    assert (again.how, again.read_bytes) == ("current", 0)
    assert again.history.runs == first.history.runs

    appended = append_runs(path, "a", [3.0, 3.0])
    extended = load(path, cache)
    assert (extended.how, extended.read_bytes) == ("extended", appended)
    assert extended.history.recent("a") == [1.0, 1.0, 1.0, 3.0, 3.0]
    assert extended.history.runs == load(path).history.runs  # the same as a full read


def test_a_rewritten_file_rebuilds_the_index(tmp_path: Path) -> None:
    path = recorded(tmp_path / "history.tsv", {"a": 1.0})
    cache = tmp_path / "cache"
    load(path, cache)
    # As long as before, and longer, but not what was indexed: compacted, then appended to.
    recorded(path, {"a": 7.0, "b": 2.0})
    rebuilt = load(path, cache)
    assert rebuilt.how == "rebuilt"
    assert rebuilt.history.recent("a") == [7.0, 7.0, 7.0]


def test_a_line_being_written_is_read_whole_the_next_time(tmp_path: Path) -> None:
    path = recorded(tmp_path / "history.tsv", {"a": 1.0})
    cache = tmp_path / "cache"
    whole = path.read_bytes()
    append_runs(path, "a", [4.0])
    complete = path.read_bytes()
    path.write_bytes(complete[:-20])  # the writer is in the middle of the final row
    assert load(path, cache).history.recent("a") == [1.0, 1.0, 1.0]
    path.write_bytes(complete)
    finished = load(path, cache)
    assert finished.how == "extended"
    assert finished.history.recent("a") == [1.0, 1.0, 1.0, 4.0]
    assert len(whole) < len(complete)


def test_unreadable_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = recorded(tmp_path / "history.tsv", {"a": 1.0})
    with path.open("ab") as stream:
        stream.write(b"not a row\n\xff\xfe\tbinary\n")
    loaded = load(path, tmp_path / "cache")
    assert loaded.skipped == 2
    assert loaded.history.recent("a") == [1.0, 1.0, 1.0]
    assert load(path, tmp_path / "cache").skipped == 2  # remembered by the index


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "expected the header", id="empty"),
        pytest.param(b"a,b,c\n1,2,3\n", "expected the header", id="not-a-history"),
    ],
)
def test_a_file_without_the_header_is_a_format_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "history.tsv"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message):
        load(path, tmp_path / "cache")


def test_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.tsv", tmp_path / "cache")


def test_a_compressed_history_is_read_and_reindexed_when_it_changes(tmp_path: Path) -> None:
    plain = recorded(tmp_path / "history.tsv", {"a": 2.0})
    packed = tmp_path / "history.tsv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    cache = tmp_path / "cache"
    assert load(packed, cache).history.recent("a") == [2.0, 2.0, 2.0]
    assert load(packed, cache).how == "current"
    recorded(plain, {"a": 5.0})
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load(packed, cache).history.recent("a") == [5.0, 5.0, 5.0]


def test_a_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    path = recorded(tmp_path / "history.tsv", {"a": 1.0})
    cache = tmp_path / "cache"
    load(path, cache)
    for index in cache.iterdir():
        index.write_text("{not json")
    assert load(path, cache).how == "built"


def test_final_runs_read_tasks_with_escapes_and_skip_started_rows(tmp_path: Path) -> None:
    path = write_history(
        tmp_path / "history.tsv",
        [Run("tab\there", 1.5, "passed", "x-1", at(0)), Run("open", 0.0, None, "x-2", at(1))],
    )
    runs = FinalRuns(path)
    assert list(runs) == [("tab\there", "passed", 1.5)]
    assert runs.end == path.stat().st_size


def test_history_keys_tasks_as_told(tmp_path: Path) -> None:
    history = History()
    history.extend(
        [("t@group", "passed", 1.0), ("t", "completed", 3.0)], key=lambda t: t.split("@")[0]
    )
    assert history.recent("t") == [1.0, 3.0]
    assert history.recorded("t") == 2.0
