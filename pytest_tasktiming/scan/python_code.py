"""Timeouts in Python source, read from its syntax tree: the code is parsed, never imported or run.

Found: keyword arguments, assignments, dict keys and parameter defaults named like a timeout
(``timeout``, ``read_timeout``, ``TIMEOUT_MINUTES``: a unit word at the end scales the value);
``pytest.mark.timeout``, ``pytest.mark.task_timing``, ``TimeoutEnforcer``, ``timed_task`` and
``timed``, where 0 or None switches the timeout off; and the standard library's positional
timeouts (``asyncio.wait_for``, ``signal.alarm`` ...). Values are constants, strings such as
``"2h"``, arithmetic on them, module-level constants, and ``timedelta(...)``.
"""

from __future__ import annotations

import ast
import bisect
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .._durations import parse_seconds
from .findings import (
    ABOVE_LIMIT,
    DISABLED,
    UNREADABLE,
    WARNING,
    Finding,
    above,
    has_allow_comment,
    switched_off,
)

_PREFILTER = (b"timeout", b"wait_for", b"alarm", b"dump_traceback_later")
"""A file with none of these (lower-cased) cannot hold a finding, so it is not even parsed."""
_PREFILTER_PATTERN = re.compile(b"|".join(_PREFILTER))

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_UNIT_WORDS = {
    **dict.fromkeys(("ms", "msec", "msecs", "millis", "milliseconds"), 0.001),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
}
_NOT_DURATIONS = frozenset(
    ("count", "counter", "retries", "retry", "attempts", "num", "number", "ratio", "factor",
     "multiplier", "threshold", "percent", "method", "func", "only", "error", "errors")
)  # fmt: skip
_TIMEDELTA_ARGS = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_TIMEDELTA_UNITS = {
    "days": 86400.0, "seconds": 1.0, "microseconds": 1e-6, "milliseconds": 1e-3,
    "minutes": 60.0, "hours": 3600.0, "weeks": 604800.0,
}  # fmt: skip
_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_STDLIB_TIMEOUTS = {
    "asyncio.wait_for": (1, "timeout"),
    "asyncio.timeout": (0, "delay"),
    "signal.alarm": (0, None),
    "faulthandler.dump_traceback_later": (0, "timeout"),
    "socket.setdefaulttimeout": (0, None),
}


@dataclass(frozen=True, slots=True)
class _Construct:
    """A call whose timeout argument is known: where it is and whether 0/None switch it off."""

    what: str
    position: int | None
    keyword: str | None
    off_when_zero: bool
    off_when_none: bool


def _construct(qualname: str) -> _Construct | None:
    parts = qualname.split(".")
    if parts[-2:] == ["mark", "timeout"]:  # pytest-timeout's marker: 0 switches it off
        return _Construct("pytest.mark.timeout", 0, "timeout", True, False)
    if parts[-2:] == ["mark", "task_timing"]:
        return _Construct("the timeout of pytest.mark.task_timing", None, "timeout", True, True)
    if parts[-1] == "TimeoutEnforcer":
        return _Construct("the timeout of TimeoutEnforcer", 0, "timeout_seconds", True, True)
    if parts[-1] == "timed_task" or (parts[0] == "pytest_tasktiming" and parts[-1] == "timed"):
        return _Construct(f"the timeout of {parts[-1]}", None, "timeout", True, True)
    if qualname in _STDLIB_TIMEOUTS:
        position, keyword = _STDLIB_TIMEOUTS[qualname]
        return _Construct(f"the timeout of {qualname}", position, keyword, False, False)
    return None


def timeout_unit(name: str) -> float | None:
    """Seconds per unit of a value named ``name``, or None if the name is not a timeout's."""
    if "timeout" not in name.lower():
        return None
    last = (_WORDS.findall(name) or [""])[-1].lower()
    if last in _NOT_DURATIONS:
        return None
    return _UNIT_WORDS.get(last, 1.0)


def scan_python(path: str, source: bytes, limit: float) -> list[Finding]:
    """The findings in one Python file; a file that does not parse gives one warning."""
    lowered = source.lower()
    if not worth_parsing(lowered):
        return []
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        return [_unreadable(path, error.lineno or 1, error.offset or 1, error.msg)]
    except (ValueError, RecursionError, MemoryError) as error:
        return [_unreadable(path, 1, 1, str(error) or type(error).__name__)]
    visitor = _Visitor(path, tree, limit)
    findings = list(visitor.findings(_candidate_lines(lowered)))
    return _without_allowed(findings, source)


def _candidate_lines(lowered: bytes) -> list[int]:
    """The numbers of the lines holding a word of ``_PREFILTER``, in order."""
    if b"\r" in lowered:  # the parser also ends a line at a lone carriage return
        lowered = lowered.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines: list[int] = []
    line, counted = 1, 0
    for match in _PREFILTER_PATTERN.finditer(lowered):
        line += lowered.count(b"\n", counted, match.start())
        counted = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def worth_parsing(lowered: bytes) -> bool:
    """False when the lower-cased source has no word any finding needs: then it is not parsed."""
    return any(word in lowered for word in _PREFILTER)


def _unreadable(path: str, line: int, col: int, reason: str) -> Finding:
    message = f"cannot parse this file ({reason}); its timeouts were not checked"
    return Finding(path, line, col, UNREADABLE, message, None, WARNING)


class _Visitor:
    """Walks one syntax tree; knows its imports and module constants."""

    def __init__(self, path: str, tree: ast.Module, limit: float) -> None:
        self.path = path
        self.tree = tree
        self.limit = limit
        self.imports = _imports(tree)
        self.constants: dict[str, float] = {}
        self.reported_constants: set[str] = set()
        self._collect_constants()

    def _collect_constants(self) -> None:
        """Module-level names bound once to a number: ``HOUR = 60 * 60``."""
        assigned: dict[str, int] = {}
        for statement in self.tree.body:
            for target, _ in _assignments(statement):
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, 0) + 1
        for statement in self.tree.body:
            for target, value in _assignments(statement):
                if isinstance(target, ast.Name) and assigned[target.id] == 1:
                    seconds = self.seconds(value)
                    if seconds is not None:
                        self.constants[target.id] = seconds
                        unit = timeout_unit(target.id)
                        if unit is not None and seconds * unit > self.limit:
                            self.reported_constants.add(target.id)

    def findings(self, candidate_lines: list[int]) -> Iterator[Finding]:
        """Findings in the nodes that span a candidate line (one with a timeout word).

        Every finding involves such a word (a name, a keyword, a marker, a function), so a
        statement or expression spanning none of these lines is skipped with its subtree.
        Definitions are always entered: their decorators sit above their first line.
        """
        stack: list[ast.AST] = [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.stmt | ast.expr) and not isinstance(node, _DEFINITIONS):
                first = bisect.bisect_left(candidate_lines, node.lineno)
                last = node.end_lineno or node.lineno
                if first == len(candidate_lines) or candidate_lines[first] > last:
                    continue
            stack.extend(ast.iter_child_nodes(node))
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                for target, value in _assignments(node):
                    name = _target_name(target)
                    if name is not None:
                        yield from self._named(name, value, f"assignment to {name!r}")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield from self._named(key.value, value, f"dict key {key.value!r}")
            elif isinstance(node, ast.arguments):
                for parameter, default in _defaults(node):
                    what = f"default of parameter {parameter!r}"
                    yield from self._named(parameter, default, what)

    def _call(self, call: ast.Call) -> Iterator[Finding]:
        qualname = self.qualname(call.func)
        construct = None if qualname is None else _construct(qualname)
        handled: ast.expr | None = None
        if construct is not None:
            handled = _argument(call, construct)
            if handled is not None:
                yield from self._construct_value(construct, handled)
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.value is not handled:
                yield from self._named(keyword.arg, keyword.value, f"argument {keyword.arg!r}")

    def _construct_value(self, construct: _Construct, value: ast.expr) -> Iterator[Finding]:
        if isinstance(value, ast.Constant) and value.value is None:
            if construct.off_when_none:
                yield self._finding(value, DISABLED, switched_off(construct.what, "None"), None)
            return
        seconds = self.seconds(value)
        if seconds is None or self._already_reported(value):
            return
        if seconds == 0:
            if construct.off_when_zero:
                yield self._finding(value, DISABLED, switched_off(construct.what, "0"), None)
        elif seconds > self.limit:
            yield self._above(value, construct.what, seconds)

    def _named(self, name: str, value: ast.expr, what: str) -> Iterator[Finding]:
        unit = timeout_unit(name)
        if unit is None:
            return
        seconds = self.seconds(value)
        if (
            seconds is not None
            and seconds * unit > self.limit
            and not self._already_reported(value)
        ):
            yield self._above(value, what, seconds * unit)

    def _already_reported(self, value: ast.expr) -> bool:
        """True when the value uses a constant already reported where it is defined."""
        return any(
            isinstance(node, ast.Name) and node.id in self.reported_constants
            for node in ast.walk(value)
        )

    def _above(self, node: ast.expr, what: str, seconds: float) -> Finding:
        value = None if math.isinf(seconds) else seconds
        return self._finding(node, ABOVE_LIMIT, above(what, seconds, self.limit), value)

    def _finding(self, node: ast.expr, code: str, message: str, value: float | None) -> Finding:
        return Finding(self.path, node.lineno, node.col_offset, code, message, value)

    def qualname(self, node: ast.expr) -> str | None:
        """``pytest.mark.timeout`` for ``mark.timeout`` after ``from pytest import mark``."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.imports.get(node.id, node.id))
        return ".".join(reversed(parts))

    def seconds(self, node: ast.expr) -> float | None:
        """The value of a constant expression in seconds; None when it cannot be known."""
        try:
            return self._evaluate(node)
        except (ArithmeticError, ValueError, TypeError):
            return None

    def _evaluate(self, node: ast.expr) -> float | None:
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self._evaluate(node.operand)
            return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self._evaluate(node.left), self._evaluate(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                return None  # no 10 ** 10 ** 10 from a hostile file
            return float(_OPERATORS[type(node.op)](left, right))
        if isinstance(node, ast.Attribute):
            return math.inf if self.qualname(node) in ("math.inf", "numpy.inf") else None
        if isinstance(node, ast.Call):
            return self._call_value(node)
        return None

    def _call_value(self, call: ast.Call) -> float | None:
        qualname = self.qualname(call.func)
        if qualname is None:
            # (timedelta(...)).total_seconds()
            if isinstance(call.func, ast.Attribute) and call.func.attr == "total_seconds":
                return self._evaluate(call.func.value)
            return None
        if qualname.split(".")[-1] == "total_seconds" and isinstance(call.func, ast.Attribute):
            return self._evaluate(call.func.value)
        if qualname in ("timedelta", "datetime.timedelta"):
            return self._timedelta(call)
        if qualname in ("float", "int") and len(call.args) == 1 and not call.keywords:
            argument = call.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                return float(argument.value)  # float("inf")
            return self._evaluate(argument)
        return None

    def _timedelta(self, call: ast.Call) -> float | None:
        named = list(zip(_TIMEDELTA_ARGS, call.args, strict=False))
        named += [(k.arg, k.value) for k in call.keywords if k.arg is not None]
        if len(call.args) > len(_TIMEDELTA_ARGS) or any(k.arg is None for k in call.keywords):
            return None
        total = 0.0
        for name, value in named:
            seconds = self._evaluate(value)
            if seconds is None or name not in _TIMEDELTA_UNITS:
                return None
            total += seconds * _TIMEDELTA_UNITS[name]
        return total


def _constant(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_seconds(value, source="the scan") or 0.0
        except ValueError:
            return None
    return None


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as: ``{"dt": "datetime", "mark": "pytest.mark"}``."""
    names: dict[str, str] = {}
    statements: list[ast.AST] = [tree]
    while statements:
        node = statements.pop()
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            statements += getattr(node, field, ())
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is not None:
                    names[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _assignments(node: ast.AST) -> list[tuple[ast.expr, ast.expr]]:
    if isinstance(node, ast.Assign):
        return [(target, node.value) for target in node.targets]
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [(node.target, node.value)]
    return []


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


def _defaults(arguments: ast.arguments) -> Iterator[tuple[str, ast.expr]]:
    positional = [*arguments.posonlyargs, *arguments.args]
    for parameter, default in zip(
        positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True
    ):
        yield parameter.arg, default
    for parameter, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if kw_default is not None:
            yield parameter.arg, kw_default


def _argument(call: ast.Call, construct: _Construct) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg == construct.keyword:
            return keyword.value
    position = construct.position
    if position is not None and len(call.args) > position:
        argument = call.args[position]
        if not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return argument
    return None


def _without_allowed(findings: list[Finding], source: bytes) -> list[Finding]:
    """Drop findings whose line has the allow comment, and give columns in characters."""
    if not findings:
        return findings
    lines = source.splitlines()
    comments: set[int] | None = None
    kept = []
    for finding in findings:
        raw = lines[finding.line - 1] if finding.line <= len(lines) else b""
        text = raw.decode("utf-8", "replace")
        if has_allow_comment(text):
            if comments is None:
                comments = _allow_comment_lines(source)
            if finding.line in comments:
                continue
        col = len(raw[: finding.col].decode("utf-8", "replace")) + 1
        kept.append(
            Finding(finding.path, finding.line, col, finding.code, finding.message, finding.value)
        )
    return kept


def _allow_comment_lines(source: bytes) -> set[int]:
    """Lines with the allow comment in a real comment (not in a string)."""
    import io
    import tokenize

    try:
        return {
            token.start[0]
            for token in tokenize.tokenize(io.BytesIO(source).readline)
            if token.type == tokenize.COMMENT and has_allow_comment(token.string)
        }
    except (tokenize.TokenError, SyntaxError):
        return set()
