"""The HTML report, and the page the live dashboard serves: one self-contained file.

The page is a template (``page.html``, ``page.css``, ``page.js`` beside this module) with the
data embedded as JSON; its script draws every view, so the report and the live dashboard
share all of it. Inline CSS and JS only: the file works offline and loads nothing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import read_notes
from pytest_tasktiming.records import TaskRow, fold, read_rows
from pytest_tasktiming.reports.html.payload import PageData, encode_rows, latest_ms, script_json

DEFAULT_TIMEOUT = 3600.0
"""Seconds assumed as a task's timeout when neither the companion file nor the task shows it
(a task that timed out shows its limit through its duration)."""
DEFAULT_THRESHOLD = 0.8

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_TIMEOUT",
    "render_page",
    "render_report",
    "write_html_report",
]


@functools.cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render_page(
    *,
    kind: str,
    source: str,
    payload: PageData,
    now_ms: float | None = None,
    skipped: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    threshold: float = DEFAULT_THRESHOLD,
    poll_ms: int = 1000,
) -> str:
    """The page as text; ``kind`` is ``"report"`` (data embedded) or ``"live"`` (data polled).

    :param now_ms: the moment unfinished tasks run up to in a report (the file's latest).
    :param skipped: unreadable lines left out, shown on the page.
    """
    import html

    from pytest_tasktiming import __version__

    script = _asset("page.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    # The script runs only because its hash is allowed: even an injected <script> could not.
    csp = (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
    )
    config = {
        "kind": kind,
        "source": source,
        "now": now_ms,
        "generated": clock.wall_ns() / 1e6,
        "skipped": skipped,
        "timeout": timeout,
        "threshold": threshold,
        "pollMs": poll_ms,
        "version": __version__,
    }
    title = f"Task timing: {os.path.basename(source) or source}"
    parts = {
        "CSP": csp,
        "TITLE": html.escape(title),
        "STYLE": _asset("page.css"),
        "CONFIG": script_json(config),
        "DATA": script_json(payload),
        "SCRIPT": script,
    }
    # One pass over the template, so text substituted in is never searched for markers.
    return re.sub(r"%([A-Z]+)%", lambda match: parts[match.group(1)], _asset("page.html"))


def render_report(
    rows_or_path: Iterable[TaskRow] | str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    threshold: float = DEFAULT_THRESHOLD,
    on_progress: Callable[[int], None] | None = None,
) -> str:
    """The self-contained report page for a file (or rows already read).

    Unreadable lines of a file are skipped and counted on the page, as ``tasktiming
    validate`` would list them, so one bad line never hides a whole run.
    """
    skipped = 0
    notes = None
    if isinstance(rows_or_path, str | os.PathLike):
        source = os.fspath(rows_or_path)
        reader = read_rows(source, strict=False, on_progress=on_progress)
        rows = list(reader)
        skipped = len(reader.errors) + (reader.torn_line is not None)
        notes = read_notes(source)
    else:
        source = "rows"
        rows = list(rows_or_path)
    tasks = fold(rows).values()  # a task's final row is its latest, so "now" needs no more
    return render_page(
        kind="report",
        source=source,
        payload=encode_rows(tasks, notes),
        now_ms=latest_ms(tasks),
        skipped=skipped,
        timeout=timeout,
        threshold=threshold,
    )


def write_html_report(
    rows_or_path: Iterable[TaskRow] | str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    threshold: float = DEFAULT_THRESHOLD,
    on_progress: Callable[[int], None] | None = None,
) -> Path:
    """Write the report for a file (or rows) to ``out_path``; return the path written.

    :param timeout: seconds taken as a task's timeout when the file does not show it.
    :param threshold: fraction of the timeout from which a task counts as a warning.
    :param on_progress: called now and then with the lines read (``RowReader``).
    """
    page = render_report(
        rows_or_path, timeout=timeout, threshold=threshold, on_progress=on_progress
    )
    out = Path(out_path)
    partial = out.with_name(out.name + ".part")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out)  # a browser reloading the report never sees half a file
    return out
