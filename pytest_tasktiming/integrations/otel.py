"""OpenTelemetry export: rows as spans, sent to any OTLP collector.

The exporter the standard ``OTEL_*`` variables name, a tracer provider of our own that
batches, and one span per final row; ``export_rows`` sends the rows of any file
(``@timed_task`` in a plain program, say). The pytest side, a span per test under one per
session, is ``plugin/otel.py``. The SDK is imported only when export is on: ``[otel]`` is an
extra.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pytest_tasktiming.records import FAILING, TaskRow, to_ns

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer


DEFAULT_SERVICE = "pytest"
"""``service.name`` unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` names one."""
INSTRUMENTATION = "pytest_tasktiming"
INSTALL_HINT = "pip install 'pytest-tasktiming[otel]'"

_EXPORT_BATCH = 512


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
