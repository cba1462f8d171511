"""How the subcommands write: exit statuses, stdout as it comes, warnings, counted nouns."""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def out(text: str) -> None:
    """Write ``text`` to stdout now (a pipe's reader sees each piece as it is written)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def warn(message: str) -> None:
    """One ``tasktiming: warning: ...`` line on stderr."""
    print(f"tasktiming: warning: {message}", file=sys.stderr)


def rewritten(torn: list[str], summary: str) -> int:
    """After a rewrite (merge, compact): a warning per torn last line skipped, then ``summary``."""
    for place in torn:
        warn(f"{place}: skipped a torn last line")
    out(f"{summary}\n")
    return EXIT_OK


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
