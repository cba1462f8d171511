"""``tasktiming todo``: the checklist of a Markdown file, with the time tracked against each item.

An item is a GitHub task-list line (``- [ ] text``, ``* [x] text``, ``1. [ ] text``, nested or
not); its time is every final row whose ``task`` equals the item's text, both with their
whitespace collapsed. Lines inside fenced or indented code blocks and HTML comments are not
items. Items are numbered from 1 in document order, which is what ``tasktiming start --todo N``
counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records import DURATION, RESULT, STARTED, TASK, RowReader
from pytest_tasktiming.reports.tabular import Column, Value

COLUMNS = [
    Column("item", "item"),
    Column("number", "#", "int"),
    Column("done", "done", "bool"),
    Column("runs", "runs", "int"),
    Column("total", "total", "seconds"),
    Column("last_result", "last"),
]

_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TASK_BOX = re.compile(r"\[([ xX])\](?:[ \t]+(.*))?$")
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)$")
_THEMATIC_BREAK = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")


@dataclass(frozen=True, slots=True)
class Item:
    """One checklist item: its number (from 1), its line in the file, checked or not, its text."""

    number: int
    line: int
    done: bool
    text: str


@dataclass(frozen=True, slots=True)
class Tracked:
    """An item and the time recorded against it; ``runs`` 0 means no time yet."""

    item: Item
    runs: int = 0
    total: float = 0.0
    last_result: str | None = None

    def as_record(self) -> dict[str, Value]:
        """The record ``tabular.render`` prints."""
        return {
            "item": self.item.text,
            "number": self.item.number,
            "done": self.item.done,
            "runs": self.runs,
            "total": self.total if self.runs else None,
            "last_result": self.last_result,
        }


def normalize(text: str) -> str:
    """``text`` with runs of whitespace made one space and none at the ends: the matching key."""
    return " ".join(text.split())


def read_items(path: str) -> list[Item]:
    """The checklist items of the Markdown file ``path``, in document order.

    :raises OSError: when the file cannot be read.
    """
    with open(path, encoding="utf-8", errors="replace") as stream:
        return parse_items(stream.read())


def parse_items(markdown: str) -> list[Item]:
    """The checklist items of ``markdown``, in document order; see the module's docstring."""
    found: list[tuple[int, list[str]]] = []  # (line, pieces): a wrapped item spans lines
    reading = False
    for lineno, text, starts_item in _content_lines(markdown):
        if starts_item:
            found.append((lineno, [text]))
        elif text and reading:
            found[-1][1].append(text)
        reading = starts_item or (reading and bool(text))
    items: list[Item] = []
    for lineno, pieces in found:
        box = _TASK_BOX.match(pieces[0])
        assert box is not None  # _content_lines only starts an item on a task box
        text = normalize(" ".join([box.group(2) or "", *pieces[1:]]))
        if text:
            items.append(Item(len(items) + 1, lineno, box.group(1) != " ", text))
    return items


def _content_lines(markdown: str) -> Iterator[tuple[int, str, bool]]:
    """``(line number, text, starts an item)`` for each line of ``markdown``.

    A line that starts an item gives what follows its list marker; a line that may continue
    an item gives its stripped text; anything else (a blank line, a heading, a list item
    without a box, a line of code or of a comment) gives ``""``, which ends an item.
    """
    fence = ""  # the open code fence, "" outside one
    in_comment = in_code = in_list = False
    after_blank = True
    for lineno, raw in enumerate(markdown.splitlines(), 1):
        line = raw.expandtabs(4)
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if fence:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = ""
        elif in_comment:
            in_comment = "-->" not in line
        elif not stripped:
            after_blank = True
        elif (in_code and indent >= 4) or (not in_list and after_blank and indent >= 4):
            in_code = True  # an indented code block: only outside lists, after a blank line
        else:
            in_code = False
            was_blank, after_blank = after_blank, False
            text, starts_item = _classify(stripped)
            yield lineno, text, starts_item
            if _LIST_MARKER.match(stripped) and not _THEMATIC_BREAK.match(stripped):
                in_list = True
            elif indent == 0 and (was_blank or not text):
                in_list = False  # anything but a wrapped line, at the margin, ends the list
            fence = _fence(stripped)
            if not fence and stripped.startswith("<!--"):
                in_comment = "-->" not in stripped[4:]
            continue
        yield lineno, "", False


def _classify(stripped: str) -> tuple[str, bool]:
    """What a line outside code and comments gives ``_content_lines``."""
    if stripped.startswith(("#", ">", "<!--")) or _fence(stripped):
        return "", False
    if _THEMATIC_BREAK.match(stripped):
        return "", False
    marker = _LIST_MARKER.match(stripped)
    if marker is None:
        return stripped, False
    rest = stripped[marker.end() :]
    box = _TASK_BOX.match(rest)
    return (rest, True) if box else ("", False)


def _fence(stripped: str) -> str:
    """The characters that open a code fence on this line (three or more), else ""."""
    fenced = _FENCE.match(stripped)
    if fenced is None or (fenced.group(1)[0] == "`" and "`" in fenced.group(2)):
        return ""  # a backtick fence's info string has no backtick: that is inline code
    return fenced.group(1)


def track(
    items: list[Item], path: str, *, on_progress: Callable[[int], None] | None = None
) -> list[Tracked]:
    """Each item with the runs, total seconds and last result of the final rows matching it.

    Items with the same text share their time. A missing timing file means no time yet.

    :raises FormatError: for a bad line of the timing file.
    """
    found: dict[str, Tracked] = {item.text: Tracked(item) for item in items}
    try:
        for lineno, fields in RowReader(path, on_progress=on_progress).iter_fields():
            now = found.get(normalize(fields[TASK])) if fields[RESULT] != STARTED else None
            if now is not None and fields[DURATION]:
                duration = now.total + _seconds(path, lineno, fields[DURATION])
                found[now.item.text] = Tracked(now.item, now.runs + 1, duration, fields[RESULT])
    except FileNotFoundError:
        pass
    return [replace(found[item.text], item=item) for item in items]


def _seconds(path: str, lineno: int, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FormatError(path, lineno, f"duration {text!r} is not a number of seconds") from None


def item_number(items: list[Item], number: int, source: str) -> Item:
    """Item ``number`` (from 1) of ``items``; ValueError naming ``source`` if there is none."""
    if not 1 <= number <= len(items):
        count = f"{len(items)} checklist item{'s' if len(items) != 1 else ''}"
        raise ValueError(f"{source} has {count}: there is no item {number}")
    return items[number - 1]
