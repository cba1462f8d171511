"""Just enough YAML for CI workflows, read line by line: keys, where they sit, and scripts.

No YAML library is allowed at run time. This reads block mappings and sequences by their
indentation, so each key knows the keys above it (``jobs > test > steps > - > run``).
Comments are cut only outside quotes; block scalars (``run: |``) and plain scalars continued
on deeper lines become the key's ``script``, never keys of their own, so a script that
prints ``timeout: 9h`` is not a setting. Anchors, tags and quotes around values are removed.
Flow collections (``{a: 1}``) are kept as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_KEY = re.compile(r"""(["']?)([^\s"'#:{}\[\],&*!|>][^:#]*?)\1\s*:(?:\s+|$)""")
_DASH = re.compile(r"-(?:\s+|$)")
_BLOCK = re.compile(r"[|>][-+0-9]*\s*$")
_ANCHOR_OR_TAG = re.compile(r"^(?:[&!][^\s]*\s+)+")
ITEM = "-"
"""The path element of a sequence item."""


@dataclass(slots=True)
class Node:
    """A key (or a bare sequence item, ``key=None``) and its value as written on its line.

    ``path`` is the keys above it, ``ITEM`` for each sequence it is in; ``col`` is the
    1-based column of the value; ``script`` the lines of a block or continued scalar.
    """

    line: int
    indent: int
    path: tuple[str, ...]
    key: str | None
    value: str
    col: int
    comment: str
    script: list[tuple[int, int, str]] = field(default_factory=list)
    """``(line, column of the text, text)`` for each line of the scalar."""

    def lines(self) -> Iterator[tuple[int, int, str]]:
        """Every line of the value: the inline part, then the script."""
        if self.value and not _BLOCK.fullmatch(self.value):
            yield self.line, self.col, self.value
        yield from self.script


def read(text: str) -> list[Node]:
    """The nodes of a YAML document, in order."""
    nodes: list[Node] = []
    stack: list[tuple[int, str]] = []  # (indent, key or ITEM) of the open collections
    owner: Node | None = None  # whose block or plain scalar deeper lines continue
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if owner is not None and (not stripped or indent > owner.indent):
            if stripped:
                owner.script.append((number, indent + 1, line[indent:].rstrip()))
            continue
        owner = None
        content, comment = split_comment(line)
        if not content.strip() or stripped.startswith(("---", "...", "%")):
            continue
        position = indent
        # A sequence may sit at its key's own indentation (``steps:`` then ``- run: x``).
        dashed = _DASH.match(content, position) is not None
        while stack and (
            stack[-1][0] > position
            or (stack[-1][0] == position and (stack[-1][1] == ITEM or not dashed))
        ):
            stack.pop()
        dash_at = position
        while (dash := _DASH.match(content, position)) is not None:
            stack.append((position, ITEM))
            dash_at, position = position, dash.end()
        key = _KEY.match(content, position)
        value_at = key.end() if key else position
        value = _ANCHOR_OR_TAG.sub("", content[value_at:].strip()).strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        node = Node(
            number,
            position if key else dash_at,
            tuple(name for _, name in stack),
            key.group(2).strip() if key else None,
            value,
            len(line) - len(line[value_at:].lstrip()) + 1,
            comment,
        )
        nodes.append(node)
        if key:
            stack.append((position, node.key or ""))
        if value:  # a block scalar, or a plain one that may go on on deeper lines
            owner = node
    return nodes


def split_comment(line: str) -> tuple[str, str]:
    """``(content, comment)``: a ``#`` starts a comment at the line's start or after a space,
    never inside single or double quotes."""
    quote = ""
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'" and (index == 0 or line[index - 1] in " \t:-[{,"):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index], line[index:]
        index += 1
    return line, ""
