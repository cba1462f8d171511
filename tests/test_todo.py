"""``tasktiming todo`` and ``tasktiming start --todo N``: crafted Markdown checklists, the
time tracked against their items, and the commands as a user types them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_tasktiming import read_rows
from pytest_tasktiming.cli import main
from pytest_tasktiming.integrations.todo import Item, normalize, parse_items, track
from pytest_tasktiming.writer import AsyncBufferedWriter

CHECKLIST = """\
# Release 2.0

Some prose with a - [ ] that is not at the start of a line.

- [x] Write the changelog
- [ ] Tag the release
  - [ ] Build   the wheels
  - [X] Upload to **PyPI**
    1. [ ] numbered, nested deeper
* [ ] A star item
+ [ ] A plus item
3) [ ] Numbered with a parenthesis
- [ ] An item that wraps
  onto a second line
- [ ] Odd characters: tab\there, pipe | backslash \\ émoji 🚀 `code` <tag>

## Not items

- [ ]
- [-] a box GitHub does not know
- [ x] a box with a space
- a plain list item
* * *
> - [ ] in a quote

```python
- [ ] inside a backtick fence
```

~~~~
- [ ] inside a tilde fence
```
- [ ] still inside: a shorter fence of another kind does not close it
~~~~

Paragraph.

    - [ ] inside an indented code block

<!--
- [ ] inside a comment
-->
- [ ] Last item, after the comment
"""

EXPECTED_ITEMS = [
    (True, "Write the changelog"),
    (False, "Tag the release"),
    (False, "Build the wheels"),
    (True, "Upload to **PyPI**"),
    (False, "numbered, nested deeper"),
    (False, "A star item"),
    (False, "A plus item"),
    (False, "Numbered with a parenthesis"),
    (False, "An item that wraps onto a second line"),
    (False, "Odd characters: tab here, pipe | backslash \\ émoji 🚀 `code` <tag>"),
    (False, "Last item, after the comment"),
]


def write_rows(path: Path, rows: list[tuple[str, str, float]]) -> None:
    """A started and a final row per ``(task, result, seconds)``, one second apart."""
    base = 1_790_000_000_000_000_000
    with AsyncBufferedWriter(path) as writer:
        for n, (task, result, seconds) in enumerate(rows):
            start, length = base + n * 10**9, int(seconds * 1e9)
            task_id = f"t-{n}"
            writer.put((start, "todo", task_id, start, None, None, task, "started"))
            end = start + length
            writer.put((end, "todo", task_id, start, end, length, task, result))


# --- reading checklists --------------------------------------------------------------------


def test_every_checklist_item_is_found_in_document_order_and_nothing_else() -> None:
    items = parse_items(CHECKLIST)

    assert [(item.done, item.text) for item in items] == EXPECTED_ITEMS
    assert [item.number for item in items] == list(range(1, len(EXPECTED_ITEMS) + 1))


def test_items_know_their_line_in_the_file() -> None:
    items = parse_items(CHECKLIST)

    assert [item.line for item in items[:10]] == [5, 6, 7, 8, 9, 10, 11, 12, 13, 15]
    assert CHECKLIST.splitlines()[items[10].line - 1] == "- [ ] Last item, after the comment"


@pytest.mark.parametrize(
    ("markdown", "texts"),
    [
        pytest.param("- [ ] a\n```\n- [ ] code\n```\n- [ ] b\n", ["a", "b"], id="fence-after-item"),
        pytest.param("- [ ] a\n\n    - [ ] nested\n", ["a", "nested"], id="indented-in-a-list"),
        pytest.param("Text\n\n    - [ ] code\n", [], id="indented-code-after-prose"),
        pytest.param("- [ ] a\n\nProse.\n\n    - [ ] code\n", ["a"], id="list-ended-by-prose"),
        pytest.param("- [ ] a\n# Heading\n- [ ] b\n", ["a", "b"], id="heading-ends-an-item"),
        pytest.param("- [ ] a\n\n  more about a\n", ["a"], id="second-paragraph"),
        pytest.param("- [ ] a\nlazy\n", ["a lazy"], id="lazy-continuation"),
        pytest.param("<!-- - [ ] hidden -->\n- [ ] shown\n", ["shown"], id="one-line-comment"),
        pytest.param("```js`\n- [ ] x\n", ["x"], id="backtick-info-is-no-fence"),
        pytest.param("- [ ] a\r\n- [x] b\r\n", ["a", "b"], id="crlf"),
        pytest.param("\t- [ ] tabbed\n", [], id="tab-indented-code"),
        pytest.param("", [], id="empty"),
    ],
)
def test_markdown_structure_decides_what_is_an_item(markdown: str, texts: list[str]) -> None:
    assert [item.text for item in parse_items(markdown)] == texts


def test_whitespace_is_normalized_for_matching() -> None:
    assert normalize("  Build\tthe \n wheels ") == "Build the wheels"


# --- time against items --------------------------------------------------------------------


def test_time_adds_up_the_final_rows_whose_task_is_the_item_text(tmp_path: Path) -> None:
    items = parse_items("- [ ] Build the wheels\n- [x] Ship\n- [ ] Announce\n")
    tsv = tmp_path / "t.tsv"
    write_rows(
        tsv,
        [
            ("Build the wheels", "failed", 2.0),
            ("Build  the\twheels", "completed", 3.5),  # the same text, other whitespace
            ("Ship", "completed", 1.0),
            ("Something else", "completed", 9.0),
        ],
    )

    tracked = track(items, str(tsv))

    assert [(t.item.text, t.runs, t.total, t.last_result) for t in tracked] == [
        ("Build the wheels", 2, 5.5, "completed"),
        ("Ship", 1, 1.0, "completed"),
        ("Announce", 0, 0.0, None),
    ]


def test_a_task_still_running_adds_no_time(tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    with AsyncBufferedWriter(tsv) as writer:
        writer.put((1, "todo", "a-1", 1, None, None, "Build", "started"))

    [tracked] = track([Item(1, 1, False, "Build")], str(tsv))

    assert (tracked.runs, tracked.last_result) == (0, None)


def test_without_a_timing_file_every_item_has_no_time(tmp_path: Path) -> None:
    tracked = track(parse_items("- [ ] a\n- [x] b\n"), str(tmp_path / "none.tsv"))

    assert [(t.runs, t.as_record()["total"]) for t in tracked] == [(0, None), (0, None)]


def test_two_items_with_the_same_text_share_their_time_and_keep_their_numbers(
    tmp_path: Path,
) -> None:
    tsv = tmp_path / "t.tsv"
    write_rows(tsv, [("Retry", "completed", 1.0)])

    tracked = track(parse_items("- [ ] Retry\n- [ ] Other\n- [ ] Retry\n"), str(tsv))

    assert [(t.item.number, t.runs) for t in tracked] == [(1, 1), (2, 0), (3, 1)]


# --- the commands --------------------------------------------------------------------------


@pytest.fixture
def todo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tsv_path: Path) -> Path:
    """``TODO.md`` with the crafted checklist, in the current directory."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "TODO.md"
    path.write_text(CHECKLIST, encoding="utf-8")
    return path


def test_todo_lists_items_with_their_time_and_counts_open_items_without_time(
    todo: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_rows(tsv_path, [("Tag the release", "completed", 90.0), ("A star item", "failed", 1.5)])

    status = main(["todo"])

    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert out[0].split() == ["#", "done", "runs", "total", "last", "item"]
    assert out[1].split() == ["1", "x", "0", "-", "-", "Write", "the", "changelog"]
    assert out[2].split() == ["2", "1", "1.50", "min", "completed", "Tag", "the", "release"]
    assert out[6].split()[:5] == ["6", "1", "1.50", "s", "failed"]
    assert out[-1] == "11 items, 2 done, 7 open with no time tracked"


def test_todo_json_gives_every_item_for_programs_with_done_a_boolean(
    todo: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_rows(tsv_path, [("Build the wheels", "completed", 0.25)])

    assert main(["todo", str(todo), "--format", "json"]) == 0

    records = json.loads(capsys.readouterr().out)
    assert [(r["done"], r["item"]) for r in records] == EXPECTED_ITEMS
    assert {type(r["done"]) for r in records} == {bool}
    assert records[2] == {
        "item": "Build the wheels", "number": 3, "done": False, "runs": 1, "total": 0.25,
        "last_result": "completed",
    }  # fmt: skip


def test_start_todo_times_item_n_under_its_text_and_todo_shows_the_time(
    todo: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["start", "--todo", "3"]) == 0
    captured = capsys.readouterr()
    task_id = captured.out.strip()
    assert main(["stop", task_id]) == 0
    capsys.readouterr()
    assert main(["todo", "--format", "json"]) == 0

    assert captured.err == "timing item 3: Build the wheels\n"
    rows = list(read_rows(tsv_path))
    assert [(row.task, row.mode, row.result) for row in rows] == [
        ("Build the wheels", "todo", "started"),
        ("Build the wheels", "todo", "completed"),
    ]
    assert json.loads(capsys.readouterr().out)[2]["runs"] == 1


def test_start_todo_reads_another_file_and_says_when_the_item_is_already_checked(
    tmp_path: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "plan.md"
    other.write_text("- [x] Done already\n", encoding="utf-8")

    assert main(["start", "--todo", "1", "--todo-file", str(other), "--mode", "plan"]) == 0

    assert capsys.readouterr().err == "timing item 1 (already checked): Done already\n"
    [row] = read_rows(tsv_path)
    assert (row.task, row.mode) == ("Done already", "plan")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["start", "--todo", "12"], "TODO.md has 11 checklist items: there is no item 12",
            id="past-the-end",
        ),
        pytest.param(
            ["start", "--todo", "0"], "argument --todo: expected a whole number >= 1, got '0'",
            id="zero",
        ),
        pytest.param(["start", "Deploy", "--todo", "1"], "give either TASK or --todo N", id="both"),
        pytest.param(["start"], "give either TASK or --todo N", id="neither"),
        pytest.param(
            ["start", "--todo", "1", "--todo-file", "missing.md"],
            "missing.md: No such file or directory", id="missing-file",
        ),
        pytest.param(
            ["todo", "missing.md"], "missing.md: No such file or directory", id="todo-missing-file"
        ),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_line_and_status_2(
    todo: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status = main(argv)

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("tasktiming: error: ")
    assert message in err
    assert len(err.splitlines()) == 1
    assert not tsv_path.exists()


def test_a_damaged_timing_file_is_an_input_error(
    todo: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tsv_path.write_text("not a header\n", encoding="utf-8")

    assert main(["todo"]) == 2

    assert "expected the header" in capsys.readouterr().err


def test_a_file_without_items_says_so(
    tmp_path: Path, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "NOTES.md"
    notes.write_text("# Notes\n\nNothing to do.\n", encoding="utf-8")

    assert main(["todo", str(notes)]) == 0

    assert capsys.readouterr().out == f"{notes}: no checklist items\n"


def test_the_console_script_starts_an_item_of_todo_md(todo: Path, tsv_path: Path) -> None:
    script = shutil.which("tasktiming")
    assert script is not None, "the package is installed with its console script"

    started = subprocess.run(
        [script, "start", "--todo", "2"], capture_output=True, text=True, check=True
    )
    listed = subprocess.run([script, "todo"], capture_output=True, text=True, check=True)

    [row] = read_rows(tsv_path)
    assert (row.task_id, row.task) == (started.stdout.strip(), "Tag the release")
    assert "Tag the release" in listed.stdout
