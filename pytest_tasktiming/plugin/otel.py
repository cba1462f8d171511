"""In pytest: each test's final row as an OpenTelemetry span, under one span per session.

``configure`` registers ``SpanPlugin`` in the process that writes the rows (under xdist: the
controller) when ``--task-timing-otel``, the ini key ``task_timing_otel`` or the standard
``OTEL_*`` variables ask for it. Spans leave through a ``BatchSpanProcessor`` in its own
thread, and the end of the session waits at most ``FLUSH_BUDGET`` seconds for them: a
collector that is down or slow costs the run nothing but its spans.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pluggy

from pytest_tasktiming._timing import clock
from pytest_tasktiming.plugin.options import OptionValues, parse_bool

if TYPE_CHECKING:
    import pytest
    from opentelemetry.sdk.trace.export import SpanExporter

    from pytest_tasktiming.records import TaskRow

FLUSH_BUDGET = 2.0
"""Seconds the end of a session waits at most for the collector to take the last spans."""

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

hookimpl = pluggy.HookimplMarker("pytest")


def wanted(config: pytest.Config) -> tuple[bool, str]:
    """Whether export is on, and what said so; ini < ``OTEL_*`` environment < command line.

    ``OTEL_SDK_DISABLED=true`` and ``OTEL_TRACES_EXPORTER=none`` switch it off, as they do
    for every OpenTelemetry SDK.
    """
    if config.getoption("task_timing_otel"):
        return True, "--task-timing-otel"
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False, "OTEL_SDK_DISABLED"
    exporter = os.environ.get("OTEL_TRACES_EXPORTER")
    if exporter:
        return exporter.strip().lower() != "none", "OTEL_TRACES_EXPORTER"
    for name in _ENDPOINTS:
        if os.environ.get(name):
            return True, name
    ini = OptionValues(config).get("task_timing_otel", parse_bool, default=False)
    return ini, "task_timing_otel"


def configure(config: pytest.Config, mode: str, *, writes_rows: bool) -> None:
    """Register ``SpanPlugin`` when export is wanted, in the process that writes the rows.

    :raises pytest.UsageError: when the option or ini key asks for export and the SDK is
        missing. Asked only by ``OTEL_*``
        variables (set for other programs, perhaps), a missing SDK is a line in the header.
    """
    import pytest

    on, source = wanted(config)
    if not (on and writes_rows):
        return
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
    plugin = SpanPlugin(exporter, mode=mode, source=source)
    config.pluginmanager.register(plugin, "tasktiming-otel")
    config.add_cleanup(plugin.close)


class SpanPlugin:
    """In pytest: a span per final test row, under one span for the session."""

    def __init__(self, exporter: SpanExporter, *, mode: str, source: str) -> None:
        from opentelemetry import trace

        from pytest_tasktiming.integrations.otel import INSTRUMENTATION, new_provider, row_span
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
        self._report: Any = None  # the report being recorded: its node id and worker
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
        if report is not None:
            attributes["test.case.name"] = report.nodeid
            worker = self._worker_id(getattr(report, "node", None))
            if worker:
                attributes["tasktiming.worker"] = worker
        self._row_span(self.tracer, row, self.session, **attributes)

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
        closing = threading.Thread(
            target=self.provider.shutdown, name="tasktiming-otel-close", daemon=True
        )
        closing.start()
        closing.join(FLUSH_BUDGET)


class _Header:
    """Says in the session header why there are no spans."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_report_header(self) -> str:
        return self.line
