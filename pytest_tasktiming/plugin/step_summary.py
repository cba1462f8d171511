"""The run in Markdown, appended to ``$GITHUB_STEP_SUMMARY`` and ``--task-timing-summary-file``.

GitHub shows the step summary file on the job's page; other CIs (or a person) can point the
option at any file. Appended, never overwritten: a job's steps share one summary file.
"""

from __future__ import annotations

from collections import Counter

from pytest_tasktiming.plugin.summary import Outcome, SessionStats, human, slowest_table
from pytest_tasktiming.records import escape

ORDER = ("passed", "failed", "error", "timeout", "skipped", "xfailed", "xpassed")
"""Results in the order pytest's own summary line counts them."""


def markdown(stats: SessionStats, outcome: Outcome, head: str) -> str:
    """The summary as Markdown: counts, slowest tests, timeouts, regressions and streaks."""
    parts = ["### Task timing", "", f"**{counts(stats.results)}** · {head}", ""]
    slowest = stats.slowest_first()
    if slowest:
        parts += [f"#### Slowest {len(slowest)}", "", slowest_table(slowest, "markdown")]
    timeouts = [f"{code(task)} after {human(ns)}" for task, ns in stats.timeouts]
    parts += _section("Timed out", timeouts)
    parts += _section(
        "Failing again after passing last time", [code(task) for task in outcome.regressions]
    )
    parts += _section(
        "Failure streaks",
        [f"{code(task)} failed its last {runs} recorded runs" for task, runs in outcome.failing],
    )
    if outcome.write_error:
        parts += [f"> **Warning:** {outcome.write_error}", ""]
    return "\n".join(parts).rstrip("\n") + "\n\n"


def counts(results: Counter[str]) -> str:
    """``12 passed, 1 failed, 1 timeout``, in pytest's order, others after; never empty."""
    known = [name for name in ORDER if results[name]]
    others = sorted(name for name in results if name not in ORDER and results[name])
    return ", ".join(f"{results[name]} {name}" for name in known + others) or "no tests"


def code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds (CommonMark's rule)."""
    text = escape(text)  # a newline would end the list item
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def append(paths: tuple[str, ...], text: str) -> list[str]:
    """Append ``text`` to each file; return one message per file that could not be written."""
    errors = []
    for path in paths:
        try:
            with open(path, "a", encoding="utf-8") as stream:
                stream.write(text)
        except OSError as error:
            errors.append(f"could not append the summary to {path}: {error.strerror or error}")
    return errors


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"#### {title}", "", *(f"- {item}" for item in items), ""]
