"""Parse only the parts of a Python file that can hold a finding.

A file is cut before each top-level ``def``, ``class`` or decorator (a line at column 0), and
a class again before each of its methods. The parts with a line that holds a trigger word are
parsed; from the others only what gives the parsed parts their meaning is read: module-level
imports and assignments. Line numbers and columns
are the file's own. A cut inside a string or a bracket leaves a part that does not parse (an
unterminated string or bracket), and then the whole file is parsed instead: the result is
that of parsing the whole file, for a fraction of the work.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator

_DEFINITION = rb"(?:(@)|def[ \t]|class[ \t(:]|async[ \t]+def[ \t])"
_CUT = re.compile(rb"^" + _DEFINITION, re.MULTILINE)
_METHOD = re.compile(rb"^([ ]+)(?:@|def[ \t]|async[ \t]+def[ \t])", re.MULTILINE)
_CONTEXT = re.compile(
    rb"^(?:import[ \t]|from[ \t]|[A-Za-z_][A-Za-z0-9_]*[ \t]*(?::[^=\n]*)?=[^=])", re.MULTILINE
)
_CONTINUED = re.compile(rb"\n(?![ \t)\]}]|\n)")
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*(?!utf-?8\b)[-\w.]+", re.MULTILINE | re.I)


class _Whole(Exception):
    """A part does not parse: parse the whole file."""


def partial_tree(source: bytes, lines: list[int]) -> ast.Module | None:
    """The statements of the parts holding ``lines``, and the context of the others.

    None when the file must be parsed whole: a part does not parse, the file declares an
    encoding other than UTF-8, uses carriage returns, or is all one part.
    """
    if b"\r" in source or source.startswith(b"\xef\xbb\xbf"):
        return None
    if _COOKIE.search(source, 0, _end_of_line(source, _end_of_line(source, 0) + 1)):
        return None
    body: list[ast.stmt] = []
    parts = list(_parts(source, _CUT, 0))
    if len(parts) == 1:
        return None
    try:
        for first_line, part in parts:
            if not _holds(lines, first_line, part):
                body += _context(part, first_line)
            elif part.startswith(b"class") or (part.startswith(b"@") and b"\nclass" in part):
                try:
                    body += _class(part, first_line, lines)
                except _Whole:  # a cut inside the class's docstring, say
                    body += _parse(part, first_line)
            else:
                body += _parse(part, first_line)
    except _Whole:
        return None
    return ast.Module(body=body, type_ignores=[])


def _parts(source: bytes, cut: re.Pattern[bytes], offset: int) -> Iterator[tuple[int, bytes]]:
    """``(first line, text)`` of each part: one before the first cut, then one from each
    definition's first decorator."""
    starts = [0]
    after_decorator = False
    for match in cut.finditer(source):
        if not after_decorator and match.start() != 0:
            starts.append(match.start())
        after_decorator = match.group(1) is not None
    for start, end in zip(starts, [*starts[1:], len(source)], strict=True):
        yield offset + source.count(b"\n", 0, start) + 1, source[start:end]


def _holds(lines: list[int], first_line: int, part: bytes) -> bool:
    index = bisect.bisect_left(lines, first_line)
    return index < len(lines) and lines[index] <= first_line + part.count(b"\n")


def _class(part: bytes, first_line: int, lines: list[int]) -> list[ast.stmt]:
    """A class, parsed method by method: its header, then the methods holding ``lines``.

    A method is parsed as the body of an ``if 1:`` on the line above it, so that it keeps its
    indentation and columns, and its statements stay out of the module's own.
    """
    method = _METHOD.search(part)
    if method is None:
        return _parse(part, first_line)
    indent = method.group(1)
    cut = re.compile(rb"^" + indent + _DEFINITION, re.MULTILINE)
    (header_line, header), *methods = _parts(part, cut, first_line - 1)
    statements = _parse(header + indent + b"pass\n", header_line)
    for line, text in methods:
        if _holds(lines, line, text):
            statements += _parse(b"if 1:\n" + text, line - 1)
    return statements


def _parse(part: bytes, first_line: int) -> list[ast.stmt]:
    try:
        return ast.parse(b"\n" * (first_line - 1) + part).body
    except (SyntaxError, ValueError):
        raise _Whole from None


def _context(part: bytes, first_line: int) -> list[ast.stmt]:
    """The module-level imports and assignments of a part that is not parsed whole."""
    found: list[ast.stmt] = []
    for match in _CONTEXT.finditer(part):
        end = _CONTINUED.search(part, match.start())
        statement = part[match.start() : end.start() if end else len(part)]
        line = first_line + part.count(b"\n", 0, match.start())
        try:
            found += ast.parse(b"\n" * (line - 1) + statement).body
        except (SyntaxError, ValueError):
            continue  # text in a string, or a statement this reading cannot delimit
    return found


def _end_of_line(source: bytes, start: int) -> int:
    end = source.find(b"\n", start)
    return len(source) if end < 0 else end
