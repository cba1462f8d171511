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


def warn_torn(places: list[str]) -> None:
    """A warning for each torn last line a rewrite (merge, compact) skipped."""
    for place in places:
        warn(f"{place}: skipped a torn last line")


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
