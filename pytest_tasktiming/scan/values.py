"""The value of a constant expression in Python source, without running it.

Numbers, strings such as ``"2h"``, arithmetic on them, module-level constants
(``2 * HOUR``), ``timedelta(...)`` and its ``.total_seconds()``, ``float("inf")``,
``math.inf``, and ``(connect, read)`` tuples, which count by their longer part.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterator

from .._durations import parse_seconds

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


class Values:
    """Evaluates expressions of one module, knowing its imports and its constants."""

    def __init__(self, tree: ast.Module) -> None:
        self.imports = imports(tree)
        self.constants: dict[str, float] = {}
        assigned: dict[str, int] = {}
        for statement in tree.body:
            for target, _ in assignments(statement):
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, 0) + 1
        for statement in tree.body:
            for target, value in assignments(statement):
                if isinstance(target, ast.Name) and assigned[target.id] == 1:
                    seconds = self.seconds(value)
                    if seconds is not None:
                        self.constants[target.id] = seconds

    def qualname(self, node: ast.expr) -> str | None:
        """``pytest.mark.timeout`` for ``mark.timeout`` after ``from pytest import mark``."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(self.imports.get(node.id, node.id))
        elif isinstance(node, ast.Call):  # Popen(...).wait(7200): only the method is known
            parts.append("")
        else:
            return None
        return ".".join(reversed(parts))

    def seconds(self, node: ast.expr) -> float | None:
        """The value of a constant expression; None when it cannot be known."""
        try:
            return self._evaluate(node)
        except (ArithmeticError, ValueError, TypeError):
            return None

    def _evaluate(self, node: ast.expr) -> float | None:
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.Tuple) and node.elts:  # requests' (connect, read)
            parts = [self._evaluate(element) for element in node.elts]
            known = [part for part in parts if part is not None]
            return max(known) if known else None
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
        if isinstance(call.func, ast.Attribute) and call.func.attr == "total_seconds":
            return self._evaluate(call.func.value)
        qualname = self.qualname(call.func)
        if qualname in ("timedelta", "datetime.timedelta"):
            return self._timedelta(call)
        if qualname in ("float", "int") and len(call.args) == 1 and not call.keywords:
            argument = call.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                return float(argument.value)  # float("inf")
            return self._evaluate(argument)
        return None

    def _timedelta(self, call: ast.Call) -> float | None:
        if len(call.args) > len(_TIMEDELTA_ARGS) or any(k.arg is None for k in call.keywords):
            return None
        named = list(zip(_TIMEDELTA_ARGS, call.args, strict=False))
        named += [(k.arg, k.value) for k in call.keywords if k.arg is not None]
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


def imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as: ``{"dt": "datetime", "mark": "pytest.mark"}``.

    Module-level imports, also under ``if`` and ``try``; not those inside functions, whose
    names mostly resolve to themselves anyway (``requests.get``).
    """
    names: dict[str, str] = {}
    statements: list[ast.AST] = [tree]
    while statements:
        node = statements.pop()
        if isinstance(node, ast.Module | ast.If | ast.Try | ast.ExceptHandler):
            for field in ("body", "orelse", "finalbody", "handlers"):
                statements += getattr(node, field, ())
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def assignments(node: ast.AST) -> list[tuple[ast.expr, ast.expr]]:
    """``(target, value)`` of an assignment statement; [] for any other node."""
    if isinstance(node, ast.Assign):
        return [(target, node.value) for target in node.targets]
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [(node.target, node.value)]
    return []


def target_name(target: ast.expr) -> str | None:
    """The name an assignment binds: ``x``, ``self.x``, ``settings["x"]``."""
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


def defaults(arguments: ast.arguments) -> Iterator[tuple[str, ast.expr]]:
    """``(parameter, default)`` for every parameter with a default."""
    positional = [*arguments.posonlyargs, *arguments.args]
    for parameter, default in zip(
        positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True
    ):
        yield parameter.arg, default
    for parameter, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if kw_default is not None:
            yield parameter.arg, kw_default
