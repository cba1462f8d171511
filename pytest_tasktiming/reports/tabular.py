"""Render records (one dict per line) as an aligned table, JSON, CSV or Markdown.

The report and the check print the same kind of data in the same four formats; this is the one
place that knows how each format looks. Seconds are shown to people (table, Markdown) in the
unit that reads best (``human_duration``: ``12.3 ms``, ``4.21 s``) and to programs (JSON,
CSV) as numbers of seconds with the file's 6 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pytest_tasktiming._durations import human_duration
from pytest_tasktiming.records import escape

FORMATS = ("table", "json", "csv", "markdown")

Kind = Literal["text", "int", "seconds", "bool"]
Value = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its key in the records, its heading, and how its values are written."""

    key: str
    heading: str
    kind: Kind = "text"

    @property
    def numeric(self) -> bool:
        """Numbers are aligned right, as in pytest's and every spreadsheet's tables."""
        return self.kind in ("int", "seconds")


def render(columns: Sequence[Column], records: Sequence[Mapping[str, Value]], fmt: str) -> str:
    """The records in format ``fmt`` (one of ``FORMATS``), ending in a newline unless empty."""
    if fmt == "json":
        return _json(columns, records)
    if fmt == "csv":
        return _csv(columns, records)
    if fmt == "markdown":
        return _markdown(columns, records)
    if fmt == "table":
        return _table(columns, records)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")


def _for_people(column: Column, value: Value) -> str:
    if value is None:
        return "-"
    if column.kind == "bool":
        return "x" if value else ""  # a ticked box
    if column.kind == "seconds" and isinstance(value, int | float):
        return human_duration(value)
    if column.kind == "int":
        return str(value)
    return escape(str(value))  # a tab or newline in a task name must not break the line


def _for_programs(column: Column, value: Value) -> Value:
    if column.kind == "seconds" and isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def _table(columns: Sequence[Column], records: Sequence[Mapping[str, Value]]) -> str:
    # The first column (the name) goes last, as in pytest --durations: long task names then
    # cannot push the other columns out of line.
    ordered = [*columns[1:], columns[0]]
    cells = [[_for_people(c, record.get(c.key)) for c in ordered] for record in records]
    widths = [max([len(c.heading)] + [len(row[i]) for row in cells]) for i, c in enumerate(ordered)]
    lines = []
    for row in [[c.heading for c in ordered], *cells]:
        parts = [
            cell.rjust(width) if column.numeric else cell.ljust(width)
            for column, cell, width in zip(ordered, row, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _markdown(columns: Sequence[Column], records: Sequence[Mapping[str, Value]]) -> str:
    def cell(column: Column, value: Value) -> str:
        return _for_people(column, value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(c.heading for c in columns) + " |",
        "|" + "|".join("---:" if c.numeric else ":---" for c in columns) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(c, record.get(c.key)) for c in columns) + " |" for record in records
    ]
    return "\n".join(lines) + "\n"


def _csv(columns: Sequence[Column], records: Sequence[Mapping[str, Value]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for record in records:
        writer.writerow([_csv_value(c, record.get(c.key)) for c in columns])
    return out.getvalue()


def _csv_value(column: Column, value: Value) -> Value:
    if column.kind == "seconds" and isinstance(value, float):
        return f"{value:.6f}"
    if column.kind == "bool":
        return "true" if value else "false"  # as JSON writes it, not Python's True
    return value


def _json(columns: Sequence[Column], records: Sequence[Mapping[str, Value]]) -> str:
    import json

    data = [{c.key: _for_programs(c, record.get(c.key)) for c in columns} for record in records]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
