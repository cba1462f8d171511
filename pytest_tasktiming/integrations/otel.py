"""OpenTelemetry export: every final row as a span, sent to any OTLP collector.

In pytest, ``configure`` registers ``SpanPlugin`` in the process that writes the rows (under
xdist: the controller) when ``--task-timing-otel``, the ini key ``task_timing_otel`` or the
standard ``OTEL_*`` variables ask for it. Each test's final row becomes a span, child of one
span for the session, so a run is one trace. Spans leave through a ``BatchSpanProcessor`` in
its own thread, and the end of the session waits at most ``FLUSH_BUDGET`` seconds for them:
a collector that is down or slow costs the run nothing but its spans. ``export_rows`` sends
rows of any file (``@timed_task`` in a plain program, say) the same way. The SDK is imported
only when export is on: ``[otel]`` is an extra.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

import pluggy

from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import FAILING, TaskRow, to_ns

if TYPE_CHECKING:
    import pytest
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

    from pytest_tasktiming.plugin.settings import Settings

FLUSH_BUDGET = 2.0
"""Seconds the end of a session waits at most for the collector to take the last spans."""
DEFAULT_SERVICE = "pytest"
"""``service.name`` unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` names one."""
INSTRUMENTATION = "pytest_tasktiming"
INSTALL_HINT = "pip install 'pytest-tasktiming[otel]'"

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_EXPORT_BATCH = 512

hookimpl = pluggy.HookimplMarker("pytest")


def add_options(parser: pytest.Parser) -> None:
    """The command-line option and ini key that switch export on."""
    parser.getgroup("tasktiming").addoption(
        "--task-timing-otel",
        action="store_true",
        default=None,
        help="send each test's row as an OpenTelemetry span to the OTLP collector of the "
        "OTEL_* variables (needs the otel extra; also on when OTEL_TRACES_EXPORTER or "
        "OTEL_EXPORTER_OTLP_ENDPOINT is set)",
    )
    parser.addini(
        "task_timing_otel", "send rows as OpenTelemetry spans (true/false)", type="string"
    )


def wanted(config: pytest.Config) -> tuple[bool, str]:
    """Whether export is on, and what said so; ini < ``OTEL_*`` environment < command line.

    ``OTEL_SDK_DISABLED=true`` and ``OTEL_TRACES_EXPORTER=none`` switch it off, as they do
    for every OpenTelemetry SDK.
    """
    from pytest_tasktiming.plugin.settings import _parse_bool, _Values

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
    return _Values(config).get("task_timing_otel", _parse_bool, default=False), "task_timing_otel"


def configure(config: pytest.Config, settings: Settings, *, writes_rows: bool) -> None:
    """Register ``SpanPlugin`` when export is wanted, in the process that writes the rows.

    :raises pytest.UsageError: for ``--task-timing-otel`` without recording, or when the
        option or ini key asks for export and the SDK is missing. Asked only by ``OTEL_*``
        variables (set for other programs, perhaps), a missing SDK is a line in the header.
    """
    import pytest

    on, source = wanted(config)
    if source == "--task-timing-otel" and not settings.enabled:
        raise pytest.UsageError("--task-timing-otel needs --task-timing (or task_timing = true)")
    if not (on and settings.enabled and writes_rows):
        return
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
    plugin = SpanPlugin(exporter, mode=settings.mode, source=source)
    config.pluginmanager.register(plugin, "tasktiming-otel")
    config.add_cleanup(plugin.close)


def default_exporter() -> SpanExporter:
    """The exporter ``OTEL_TRACES_EXPORTER`` names (default ``otlp``: OTLP over HTTP).

    ``otlp`` follows ``OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL``; any other name is an exporter
    installed under the SDK's ``opentelemetry_traces_exporter`` entry points (``console``...).
    Endpoint, headers, timeout and TLS come from the standard ``OTEL_EXPORTER_OTLP_*``.

    :raises ValueError: for a name no installed package provides.
    """
    from importlib.metadata import entry_points

    name = (os.environ.get("OTEL_TRACES_EXPORTER") or "otlp").split(",")[0].strip().lower()
    if name == "otlp":
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        name = "otlp_proto_grpc" if protocol.strip() == "grpc" else "otlp_proto_http"
    if name == "otlp_proto_http":  # import it directly: a missing SDK says so
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    found = entry_points(group="opentelemetry_traces_exporter", name=name)
    if not found:
        raise ValueError(
            f"unknown span exporter {name!r} from OTEL_TRACES_EXPORTER: install the package "
            f"that provides it, or use otlp, console or none ({INSTALL_HINT})"
        )
    exporter: SpanExporter = next(iter(found)).load()()
    return exporter


def new_provider(exporter: SpanExporter) -> TracerProvider:
    """A tracer provider of our own (the program's global one stays untouched), batching."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE}))
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def row_span(tracer: Tracer, row: TaskRow, parent: Span | None = None, **attributes: str) -> None:
    """Record the final ``row`` as a span from its start to its end time.

    Its status is ERROR for ``failed``, ``error`` and ``timeout``, else left unset.
    """
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode

    start = to_ns(row.start_time)
    end = to_ns(row.end_time) if row.end_time is not None else start
    span = tracer.start_span(
        row.task,
        context=None if parent is None else trace.set_span_in_context(parent),
        start_time=start,
        attributes={
            "tasktiming.mode": row.mode,
            "tasktiming.task_id": row.task_id,
            "tasktiming.result": row.result,
            **attributes,
        },
    )
    if row.result in FAILING:
        span.set_status(Status(StatusCode.ERROR, row.result))
    span.end(end_time=end)


def export_rows(rows: Iterable[TaskRow], exporter: SpanExporter | None = None) -> int:
    """Send every final row of ``rows`` as a span and wait until they are exported.

    For rows a pytest session does not see, e.g. ``export_rows(read_rows(path))`` after a
    plain program's ``@timed_task`` run. Returns how many spans were sent.
    """
    provider = new_provider(exporter or default_exporter())
    tracer = provider.get_tracer(INSTRUMENTATION)
    sent = 0
    try:
        for row in rows:
            if row.is_final:
                row_span(tracer, row)
                sent += 1
                if sent % _EXPORT_BATCH == 0:
                    provider.force_flush()  # a full queue would drop spans, not wait
    finally:
        provider.shutdown()
    return sent


class SpanPlugin:
    """In pytest: a span per final test row, under one span for the session."""

    def __init__(self, exporter: SpanExporter, *, mode: str, source: str) -> None:
        from opentelemetry import trace

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
        row_span(self.tracer, row, self.session, **attributes)

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
