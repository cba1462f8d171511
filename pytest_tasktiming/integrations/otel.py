"""OpenTelemetry export: rows as spans, sent to any OTLP collector.

The exporter the standard ``OTEL_*`` variables name, a tracer provider of our own that
batches, and one span per final row; ``export_rows`` sends the rows of any file. The pytest
side, a span per test under one per session, is ``plugin/otel.py``; ``SpanWriter`` makes the
decorators' rows spans as they are written, in the caller's trace. The SDK is imported only
when export is on: ``[otel]`` is an extra.

Every span carries the row's own numbers, for dashboards that should show what the report
shows: ``tasktiming.duration`` (seconds, as the row's duration column; the span itself runs
from the row's start to its end, which for a test includes the moments between its phases)
and ``tasktiming.timeout`` (the limit in seconds, where known). A failed, error or timeout row
has an ``exception`` event with ``exception.type`` and ``exception.message``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pytest_tasktiming.records import (
    DURATION,
    FAILING,
    MODE,
    RESULT,
    START_TIME,
    STARTED,
    TASK,
    TASK_ID,
    TIMEOUT,
    TIMESTAMP,
    RawRow,
    TaskRow,
    to_ns,
)
from pytest_tasktiming.writer import AsyncBufferedWriter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer


DEFAULT_SERVICE = "pytest"
"""``service.name`` unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` names one."""
INSTRUMENTATION = "pytest_tasktiming"
INSTALL_HINT = "pip install 'pytest-tasktiming[otel]'"

_EXPORT_BATCH = 512
FLUSH_BUDGET = 2.0
"""Seconds an end waits at most for the collector to take the last spans."""
TIMEOUT_TYPE = "pytest_tasktiming.TaskTimeoutError"


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


def row_span(
    tracer: Tracer,
    row: TaskRow,
    parent: Span | None = None,
    *,
    timeout: float | None = None,
    exception: tuple[str, str] | None = None,
    **attributes: str,
) -> None:
    """Record the final ``row`` as a span from its start to its end time.

    :param timeout: the task's limit, the ``tasktiming.timeout`` attribute.
    :param exception: ``(type, message)`` of a failure; a failing row without one gets
        what its result tells (``failure_of``).
    """
    from opentelemetry import trace

    start = to_ns(row.start_time)
    end = to_ns(row.end_time) if row.end_time is not None else start
    span = tracer.start_span(
        row.task,
        context=None if parent is None else trace.set_span_in_context(parent),
        start_time=start,
        attributes={
            "tasktiming.mode": row.mode,
            "tasktiming.task_id": row.task_id,
            **attributes,
        },
    )
    end_span(span, row.result, row.duration, end, timeout=timeout, exception=exception)


def end_span(
    span: Span,
    result: str,
    duration: float | None,
    end_ns: int,
    *,
    timeout: float | None = None,
    exception: tuple[str, str] | None = None,
) -> None:
    """Give ``span`` the row's result, duration and limit, and end it at ``end_ns``.

    Its status is ERROR for ``failed``, ``error`` and ``timeout`` (else left unset), with an
    ``exception`` event (type and message) at the end.
    """
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("tasktiming.result", result)
    if duration is not None:
        span.set_attribute("tasktiming.duration", round(duration, 6))  # as in the file
    if timeout is not None:
        span.set_attribute("tasktiming.timeout", timeout)
    if result in FAILING:
        kind, message = exception or failure_of(result, duration, timeout)
        span.add_event(
            "exception",
            {"exception.type": kind, "exception.message": message},
            timestamp=end_ns,
        )
        span.set_status(Status(StatusCode.ERROR, result))
    span.end(end_time=end_ns)


def failure_of(result: str, duration: float | None, timeout: float | None) -> tuple[str, str]:
    """What a failing row tells of its failure when nothing else does: a timeout's limit."""
    if result == TIMEOUT:
        limit = f" (timeout {timeout:g}s)" if timeout is not None else ""
        took = f" after {duration:.3f}s" if duration is not None else ""
        return TIMEOUT_TYPE, f"timed out{took}{limit}"
    return result, f"the task ended with result {result!r}"


def exception_from(error: BaseException | None, result: str) -> tuple[str, str] | None:
    """``(type, message)`` of ``error``; a timeout is reported as ``TaskTimeoutError``."""
    if error is None or (result == TIMEOUT and not isinstance(error, TimeoutError)):
        return None  # a timeout seen as the CancelledError it caused: say what the row says
    kind = type(error)
    name = TIMEOUT_TYPE if result == TIMEOUT else f"{kind.__module__}.{kind.__qualname__}"
    return name.removeprefix("builtins."), str(error)


def shutdown_within(provider: TracerProvider, budget: float = FLUSH_BUDGET) -> None:
    """Shut ``provider`` down, waiting at most ``budget`` seconds for the collector: one
    that is down or slow costs the program its last spans, never its time."""
    closing = threading.Thread(target=provider.shutdown, name="tasktiming-otel-close", daemon=True)
    closing.start()
    closing.join(budget)


class SpanWriter(AsyncBufferedWriter):
    """A file's shared writer that also makes each decorated task a span, while it runs.

    The ``started`` row opens the span in the caller's context (so it is a child of the
    caller's current span, if any) and the final row ends it. ``shared_writers`` makes one
    instead of a plain writer when the ``OTEL_*`` variables switch export on; otherwise no
    call pays anything for export.
    """

    def __init__(self, path: str, exporter: SpanExporter | None = None) -> None:
        super().__init__(path)
        self.provider = new_provider(exporter or default_exporter())
        self.tracer = self.provider.get_tracer(INSTRUMENTATION)
        self._spans: dict[str, Any] = {}

    def put(self, raw: RawRow) -> None:
        super().put(raw)
        task_id = raw[TASK_ID]
        if raw[RESULT] == STARTED:
            self._spans[task_id] = self.tracer.start_span(
                raw[TASK],
                start_time=raw[START_TIME],
                attributes={"tasktiming.mode": raw[MODE], "tasktiming.task_id": task_id},
            )
            return
        span = self._spans.pop(task_id, None)
        if span is None:
            return
        result, duration = raw[RESULT], raw[DURATION]
        # The final row is written in the ``except`` block or ``__exit__`` handling the error.
        error = sys.exc_info()[1] if result in FAILING else None
        end_span(
            span,
            result,
            None if duration is None else duration / 1e9,
            raw[TIMESTAMP],
            exception=exception_from(error, result),
        )

    def close(self) -> None:
        try:
            super().close()
        finally:
            for span in self._spans.values():  # still running at exit: their end is unknown
                span.end()
            self._spans.clear()
            shutdown_within(self.provider)


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
