"""Timeouts in Python source, read from its syntax tree: the code is parsed, never imported or run.

Found: the calls of the table in ``apis.py``, each value in that call's unit; keyword
arguments, assignments, dict keys and parameter defaults named like a timeout
(``apis.name_unit``); and, for this package's decorators and pytest-timeout's marker, the
values that switch the timeout off. A file whose bytes hold no trigger word is not parsed,
in the others only the definitions with a line that holds one are (``regions.py``), and only
the statements on such a line are walked: every finding needs such a word on its line.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import math
from collections.abc import Iterator, Sequence

from .apis import (
    GENERIC_CALLS,
    MILLISECOND_PACKAGES,
    Api,
    ApiTable,
    imported_packages,
    name_unit,
    trigger_words,
)
from .findings import (
    NOT_PARSED,
    Finding,
    Place,
    above,
    as_written,
    is_allowed,
    not_checked,
    switched_off,
)
from .regions import partial_tree
from .values import Values, assignments, defaults, target_name

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class PythonScanner:
    """Scans Python files against one table of calls (picklable, for worker processes)."""

    def __init__(self, apis: Sequence[Api]) -> None:
        self.table = ApiTable(apis)
        self.word_list = sorted(trigger_words(apis), key=len, reverse=True)

    def candidate_lines(self, source: bytes) -> list[int]:
        """The numbers of the lines that hold a trigger, in order; [] means nothing to parse."""
        lowered = source.lower()
        starts: list[int] = []
        for word in self.word_list:
            start = lowered.find(word)
            while start >= 0:
                starts.append(start)
                start = lowered.find(word, start + len(word))
        for pattern in GENERIC_CALLS:
            starts += [match.start() for match in pattern.finditer(source)]
        if not starts:
            return []
        if b"\r" in source:  # the parser also ends a line at a lone carriage return
            source = source.replace(b"\r\n", b" \n").replace(b"\r", b"\n")
        lines: list[int] = []
        line, counted = 1, 0
        for start in sorted(starts):
            line += source.count(b"\n", counted, start)
            counted = start
            if not lines or lines[-1] != line:
                lines.append(line)
        return lines

    def scan(self, path: str, source: bytes, limit: float) -> list[Finding]:
        """The findings in one Python file; a file that does not parse gives one warning."""
        lines = self.candidate_lines(source)
        if not lines:
            return []
        try:
            tree = partial_tree(source, lines) or ast.parse(source, filename=path)
        except SyntaxError as error:
            place = Place(path, error.lineno or 1, error.offset or 1)
            return [not_checked(place, NOT_PARSED, f"cannot parse this file ({error.msg})")]
        except (ValueError, RecursionError, MemoryError) as error:
            reason = f"cannot parse this file ({error or type(error).__name__})"
            return [not_checked(Place(path, 1, 1), NOT_PARSED, reason)]
        packages = imported_packages(source, self.table.needs_imports)
        visitor = _Visitor(path, tree, limit, self.table, packages)
        return _without_allowed(list(visitor.findings(lines)), source)


class _Visitor:
    """Walks one syntax tree."""

    def __init__(
        self, path: str, tree: ast.Module, limit: float, table: ApiTable, packages: frozenset[str]
    ) -> None:
        self.path = path
        self.packages = packages
        self.tree = tree
        self.limit = limit
        self.table = table
        self.values = Values(tree)
        self.milliseconds = not MILLISECOND_PACKAGES.isdisjoint(packages)
        self.reported_constants = {
            name
            for name, seconds in self.values.constants.items()
            if (unit := self._unit(name)) is not None and seconds * unit[1] > limit
        }

    def findings(self, candidate_lines: list[int]) -> Iterator[Finding]:
        """Findings in the nodes that span a candidate line (one with a trigger word).

        A statement or expression spanning none of these lines (a definition: from its first
        decorator) is skipped with its subtree.
        """
        stack: list[ast.AST] = [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.stmt | ast.expr):
                start = node.lineno
                if isinstance(node, _DEFINITIONS) and node.decorator_list:
                    start = node.decorator_list[0].lineno
                first = bisect.bisect_left(candidate_lines, start)
                last = node.end_lineno or node.lineno
                if first == len(candidate_lines) or candidate_lines[first] > last:
                    continue
            stack.extend(ast.iter_child_nodes(node))
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                for target, value in assignments(node):
                    name = target_name(target)
                    if name is not None:
                        yield from self._named(name, value, f"assignment to {name!r}")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield from self._named(key.value, value, f"dict key {key.value!r}")
            elif isinstance(node, ast.arguments):
                for parameter, default in defaults(node):
                    what = f"default of parameter {parameter!r}"
                    yield from self._named(parameter, default, what)

    def _call(self, call: ast.Call) -> Iterator[Finding]:
        qualname = self.values.qualname(call.func)
        apis = [] if qualname is None else self.table.lookup(qualname, self.packages)
        handled: set[str] = set()
        for api in apis:
            handled.update(api.keywords)
            if api.unit == "ttl":
                continue
            for argument, value in _arguments(call, api):
                yield from self._api_value(api, call, argument, value)
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg not in handled:
                yield from self._named(keyword.arg, keyword.value, f"argument {keyword.arg!r}")

    def _api_value(
        self, api: Api, call: ast.Call, argument: str, value: ast.expr
    ) -> Iterator[Finding]:
        what = f"{argument} of {_source(call.func)}()"
        if isinstance(value, ast.Constant) and value.value is None:
            if "None" in api.off:
                yield self._off(value, what, "None")
            return
        number = self.values.seconds(value)
        if number is None or self._already_reported(value):
            return
        if number == 0 and "0" in api.off:
            yield self._off(value, what, "0")
        else:
            yield from self._compare(value, what, number, api.unit, api.scale)

    def _unit(self, name: str) -> tuple[str, float] | None:
        """The unit of a value named ``name``: its own, or milliseconds in Playwright's code."""
        unit = name_unit(name)
        if unit == ("s", 1.0) and self.milliseconds and name.lower().endswith("timeout"):
            return "ms", 0.001  # Playwright's convention, in its own code and its users' code
        return unit

    def _named(self, name: str, value: ast.expr, what: str) -> Iterator[Finding]:
        unit = self._unit(name)
        if unit is None:
            return
        number = self.values.seconds(value)
        if number is not None and not self._already_reported(value):
            yield from self._compare(value, what, number, *unit)

    def _compare(
        self, node: ast.expr, what: str, number: float, unit: str, scale: float
    ) -> Iterator[Finding]:
        seconds = number * scale
        if math.isinf(seconds) and seconds > 0:
            yield self._off(node, what, _source(node))
        elif seconds > self.limit:
            literal = isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            written = as_written(number, unit, seconds)
            if not literal:
                written = f"{_source(node)} = {written}" if unit == "s" else (
                    f"{_source(node)} {unit} = {as_written(seconds, 's', seconds)}"
                )  # fmt: skip
            yield above(self._place(node), what, written, seconds, self.limit, unit=(unit, scale))

    def _off(self, node: ast.expr, what: str, value: str) -> Finding:
        return switched_off(self._place(node), what, value, self.limit)

    def _place(self, node: ast.expr) -> Place:
        return Place(self.path, node.lineno, node.col_offset)  # bytes: _without_allowed counts

    def _already_reported(self, value: ast.expr) -> bool:
        """True when the value uses a constant already reported where it is defined."""
        return any(
            isinstance(node, ast.Name) and node.id in self.reported_constants
            for node in ast.walk(value)
        )


def _arguments(call: ast.Call, api: Api) -> Iterator[tuple[str, ast.expr]]:
    """``(how it is passed, value)`` of each of the call's arguments that ``api`` names."""
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg in api.keywords:
            yield f"the {keyword.arg}", keyword.value
    position = api.position
    if position is None or len(call.args) <= position:
        return
    if any(isinstance(argument, ast.Starred) for argument in call.args[: position + 1]):
        return
    if api.flag_before:
        flag = call.args[position - 1]
        if not (isinstance(flag, ast.Constant) and isinstance(flag.value, bool)):
            return
    yield f"argument {position + 1}", call.args[position]


def _source(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _without_allowed(findings: list[Finding], source: bytes) -> list[Finding]:
    """Drop findings whose line has the allow comment, and give columns in characters."""
    if not findings:
        return findings
    lines = source.splitlines()
    comments: dict[int, str] | None = None
    kept = []
    for finding in findings:
        raw = lines[finding.line - 1] if finding.line <= len(lines) else b""
        if is_allowed(raw.decode("utf-8", "replace"), finding.code):
            if comments is None:
                comments = _comments(source)
            if is_allowed(comments.get(finding.line, ""), finding.code):
                continue
        col = len(raw[: finding.col].decode("utf-8", "replace")) + 1
        kept.append(dataclasses.replace(finding, col=col))
    return kept


def _comments(source: bytes) -> dict[int, str]:
    """The real comments (not text in a string), by line."""
    import io
    import tokenize

    try:
        return {
            token.start[0]: token.string
            for token in tokenize.tokenize(io.BytesIO(source).readline)
            if token.type == tokenize.COMMENT
        }
    except (tokenize.TokenError, SyntaxError):
        return {}
