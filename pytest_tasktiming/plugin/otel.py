"""In pytest: each test's final row as an OpenTelemetry span, under one span per session.

``configure`` registers ``SpanPlugin`` in the process that writes the rows (under xdist: the
controller) when ``--task-timing-otel``, the ini key ``task_timing_otel`` or the standard
``OTEL_*`` variables ask for it (``options.otel_wanted``); other sessions never import
this. Spans leave through a ``BatchSpanProcessor`` in its own thread, and the end of the
session waits at most ``FLUSH_BUDGET`` seconds for them: a collector that is down or slow
costs the run nothing but its spans.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pluggy

from pytest_tasktiming._timing import clock

if TYPE_CHECKING:
    import pytest
    from opentelemetry.sdk.trace.export import SpanExporter

    from pytest_tasktiming.plugin.settings import Settings
    from pytest_tasktiming.records import TaskRow

FLUSH_BUDGET = 2.0
"""Seconds the end of a session waits at most for the collector to take the last spans."""

hookimpl = pluggy.HookimplMarker("pytest")


def configure(config: pytest.Config, settings: Settings, source: str) -> None:
    """Register ``SpanPlugin``: export is wanted (``source`` said so, see
    ``options.otel_wanted``), and this process writes the rows.

    :raises pytest.UsageError: when the option or ini key asks for export and the SDK is
        missing. Asked only by ``OTEL_*`` variables (set for other programs, perhaps), a
        missing SDK is a line in the header.
    """
    import pytest

    from pytest_tasktiming.integrations.otel import INSTALL_HINT, default_exporter

    try:
        exporter = config.hook.pytest_tasktiming_otel_exporter(config=config) or default_exporter()
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("opentelemetry"):
            raise
        message = f"OpenTelemetry export ({source}) needs the OpenTelemetry SDK: {INSTALL_HINT}"
        if source.startswith("OTEL_"):
            config.pluginmanager.register(_Header(f"tasktiming: no spans: {message}"))
            return
        raise pytest.UsageError(message) from None
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    plugin = SpanPlugin(exporter, mode=settings.mode, source=source, timeout=settings.timeout)
    config.pluginmanager.register(plugin, "tasktiming-otel")
    config.add_cleanup(plugin.close)


class SpanPlugin:
    """In pytest: a span per final test row, under one span for the session."""

    def __init__(
        self, exporter: SpanExporter, *, mode: str, source: str, timeout: float | None
    ) -> None:
        from opentelemetry import trace

        from pytest_tasktiming.integrations.otel import (
            INSTRUMENTATION,
            new_provider,
            row_span,
            shutdown_within,
        )
        from pytest_tasktiming.plugin.workers import worker_id

        self.exporter = exporter
        self.source = source
        self.provider = new_provider(exporter)
        self.tracer = self.provider.get_tracer(INSTRUMENTATION)
        self.session = self.tracer.start_span(
            "pytest session", start_time=clock.wall_ns(), attributes={"tasktiming.mode": mode}
        )
        self._context_of = trace.set_span_in_context
        self._worker_id = worker_id
        self._row_span = row_span
        self._shutdown = shutdown_within
        self.timeout = timeout  # the session's; a marker's comes with the test's payload
        self._report: Any = None  # the report being recorded: its node id and worker
        self._failures: dict[str, tuple[str, str]] = {}  # node id: its first failure
        self._closed = False

    # Old-style wrappers: pluggy 1.0, the declared minimum, has no ``wrapper=True``.
    @hookimpl(hookwrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, Any, None]:
        yield from self._recording(report)

    @hookimpl(hookwrapper=True, optionalhook=True)
    def pytest_handlecrashitem(self, report: pytest.TestReport) -> Generator[None, Any, None]:
        yield from self._recording(report)

    def _recording(self, report: pytest.TestReport) -> Generator[None, Any, None]:
        """Around the hooks in which the recorder writes a test's final row."""
        if report.failed and report.nodeid not in self._failures:
            self._failures[report.nodeid] = exception_of(report.longrepr)
        self._report = report
        try:
            yield
        finally:
            self._report = None

    def pytest_tasktiming_row(self, row: TaskRow) -> None:
        if not row.is_final:
            return
        attributes = {}
        report = self._report
        timeout, failure = self.timeout, None
        if report is not None:
            attributes["test.case.name"] = report.nodeid
            worker = self._worker_id(getattr(report, "node", None))
            if worker:
                attributes["tasktiming.worker"] = worker
            failure = self._failures.pop(report.nodeid, None)
            payload = getattr(report, "task_timing", None)
            if payload is not None and payload[-1] is not None:
                timeout = payload[-1].get("timeout", timeout)
        self._row_span(
            self.tracer, row, self.session, timeout=timeout, exception=failure, **attributes
        )

    def pytest_report_header(self) -> str:
        return f"tasktiming: OpenTelemetry spans on ({self.source})"

    @hookimpl(trylast=True)
    def pytest_sessionfinish(self, exitstatus: int) -> None:
        from opentelemetry.trace import Status, StatusCode

        if exitstatus not in (0, 5):  # 5: no tests ran, which is no failure
            self.session.set_status(Status(StatusCode.ERROR, f"exit status {exitstatus}"))
        self._end_session()

    def _end_session(self) -> None:
        if self.session.is_recording():  # not ended yet
            self.session.end(end_time=clock.wall_ns())

    def close(self) -> None:
        """Flush and shut down, waiting at most ``FLUSH_BUDGET`` seconds for the collector."""
        if self._closed:
            return
        self._closed = True
        self._end_session()  # when pytest stopped before the session finished
        self._shutdown(self.provider, FLUSH_BUDGET)


def exception_of(longrepr: object) -> tuple[str, str]:
    """``(type, message)`` of a failed report, from pytest's description of the failure.

    pytest's one-line crash message leaves the type out of a bare ``assert``; the last
    traceback entry's location line names it then. Plain text (a crashed worker) is the
    message of an ``Exception``.
    """
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    message = text.splitlines()[0] if text else ""
    kind, colon, rest = message.partition(": ")
    if colon and kind.replace(".", "").replace("_", "").isalnum() and not kind[0].isdigit():
        return kind, rest
    entries = getattr(getattr(longrepr, "reprtraceback", None), "reprentries", None) or [None]
    location = getattr(entries[-1], "reprfileloc", None)
    return getattr(location, "message", None) or "Exception", message


class _Header:
    """Says in the session header why there are no spans."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_report_header(self) -> str:
        return self.line
