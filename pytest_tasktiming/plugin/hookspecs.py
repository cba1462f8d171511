"""Hooks other plugins and ``conftest.py`` files implement to see or change what we do.

Added with ``pytest_addhooks``; pytest finds implementations by name. The built-in behaviour
of each is itself an implementation marked ``trylast``, so yours runs first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from pytest_tasktiming.records import TaskRow


@pytest.hookspec(firstresult=True)
def pytest_tasktiming_row(config: pytest.Config, row: TaskRow) -> TaskRow | None:
    """See each test's row before it is written; return a replacement, or None to keep it.

    Called for the ``started`` row and the final row of every test, in the process that
    writes them (under pytest-xdist: the controller, so implement it in a plugin or the
    rootdir's ``conftest.py``, which the controller loads). A row cannot be dropped: the file
    promises one started and one final row per test. The built-in implementation returns
    ``row`` unchanged.
    """


@pytest.hookspec(firstresult=True)
def pytest_tasktiming_timeout_warning(
    item: pytest.Item, elapsed: float, timeout: float, past_limit: bool
) -> bool | None:
    """A test has run ``elapsed`` seconds: past its warning threshold, or (``past_limit``)
    past its ``timeout``, which is not enforced.

    Called while the test still runs, from the watchdog thread of the process running the
    test (an xdist worker under ``-n``): keep it quick and thread-safe. Return True once you
    have told the user; the built-in implementation writes one line to the terminal's
    stderr. The warnings summary lists the warning either way.
    """


@pytest.hookspec(firstresult=True)
def pytest_tasktiming_otel_exporter(config: pytest.Config) -> SpanExporter | None:
    """The OpenTelemetry span exporter for the session's spans; None for the default.

    Called once, in the process that writes the rows, when OpenTelemetry export is on. The
    default is the exporter ``OTEL_TRACES_EXPORTER`` names (OTLP over HTTP unless told
    otherwise), configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables.
    """
