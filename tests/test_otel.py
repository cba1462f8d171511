"""OpenTelemetry export: spans checked with the SDK's in-memory exporter (handed to the plugin
through the ``pytest_tasktiming_otel_exporter`` hook), under xdist too, and a real OTLP
exporter pointed at a port where no collector listens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_helpers import EXPECTED_OUTCOMES, OUTCOMES_TEST, final_by_task, rows_of

from pytest_tasktiming import read_rows, timed_task
from pytest_tasktiming.integrations.otel import default_exporter, export_rows
from pytest_tasktiming.plugin.otel import FLUSH_BUDGET
from pytest_tasktiming.records import to_ns

pytest.importorskip("opentelemetry.sdk")  # the [otel] extra; the test extra installs it
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode

OUTCOMES = {"passed": 4, "failed": 1, "skipped": 1, "xfailed": 1, "xpassed": 1, "errors": 2}
"""What pytest counts for ``OUTCOMES_TEST`` (a teardown error counts its passed call too)."""
OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


class SpansInMemory:
    """A plugin handing the session the SDK's in-memory exporter."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()

    def pytest_tasktiming_otel_exporter(self) -> InMemorySpanExporter:
        return self.exporter

    @property
    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()

    def tests(self) -> dict[str, ReadableSpan]:
        return {span.name: span for span in self.spans if span.name != "pytest session"}


def exception_events(spans: dict[str, ReadableSpan]) -> dict[str, tuple[str, str]]:
    """The type and message of each span's ``exception`` event, by span name."""
    found = {}
    for name, span in spans.items():
        for event in span.events:
            assert event.name == "exception"
            attributes = event.attributes or {}
            found[name] = (attributes["exception.type"], attributes["exception.message"])
    return found  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASK_TIMING_FILE", raising=False)
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def memory() -> SpansInMemory:
    return SpansInMemory()


def test_every_test_is_a_span_with_its_rows_times_under_one_session_span(
    pytester: pytest.Pytester, memory: SpansInMemory
) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST)

    result = pytester.runpytest("--task-timing", "--task-timing-otel", plugins=[memory])

    result.assert_outcomes(**OUTCOMES)
    finals = final_by_task(pytester.path / "task_timing.tsv")
    tests = memory.tests()
    [session] = [span for span in memory.spans if span.name == "pytest session"]
    assert set(tests) == set(EXPECTED_OUTCOMES)
    for nodeid, span in tests.items():
        row = finals[nodeid]
        assert row.end_time is not None
        assert (span.start_time, span.end_time) == (to_ns(row.start_time), to_ns(row.end_time))
        assert dict(span.attributes or {}) == {
            "tasktiming.mode": "pytest",
            "tasktiming.task_id": row.task_id,
            "tasktiming.result": EXPECTED_OUTCOMES[nodeid],
            "tasktiming.duration": row.duration,  # the report's number, not end - start
            "tasktiming.timeout": 3600.0,
            "test.case.name": nodeid,
        }
        assert span.parent is not None and span.parent.span_id == session.context.span_id
        assert span.context.trace_id == session.context.trace_id
    for nodeid, outcome in EXPECTED_OUTCOMES.items():
        error = outcome in ("failed", "error")
        assert (tests[nodeid].status.status_code is StatusCode.ERROR) is error, nodeid
        assert bool(tests[nodeid].events) is error, nodeid
    assert exception_events(tests) == {
        "test_outcomes.py::test_fails": ("AssertionError", "assert 1 == 2"),
        "test_outcomes.py::test_setup_error": ("RuntimeError", "setup broke"),
        "test_outcomes.py::test_teardown_error": ("RuntimeError", "teardown broke"),
    }
    assert session.status.status_code is StatusCode.ERROR  # the run failed
    assert session.resource.attributes["service.name"] == "pytest"
    result.stdout.fnmatch_lines(["tasktiming: OpenTelemetry spans on (--task-timing-otel)"])


def test_a_timed_out_test_is_an_error_span(
    pytester: pytest.Pytester, memory: SpansInMemory
) -> None:
    pytester.makepyfile(
        test_slow="""
        import time
        import pytest

        @pytest.mark.task_timing(timeout=0.3)
        def test_too_slow():
            time.sleep(5)
        """
    )

    result = pytester.runpytest("--task-timing", "--task-timing-otel", plugins=[memory])

    result.assert_outcomes(failed=1)
    span = memory.tests()["test_slow.py::test_too_slow"]
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert span.attributes is not None and span.attributes["tasktiming.result"] == "timeout"
    assert span.attributes["tasktiming.duration"] == row.duration
    assert span.attributes["tasktiming.timeout"] == 0.3  # the marker's, not the session's
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "timeout"
    ((kind, message),) = exception_events({"": span}).values()
    assert kind == "pytest_tasktiming.TaskTimeoutError"
    assert message.startswith("task 'test_slow.py::test_too_slow' timed out after 0.")


def test_under_xdist_the_controller_sends_one_span_per_test_with_its_worker(
    pytester: pytest.Pytester, memory: SpansInMemory
) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST)

    result = pytester.runpytest(
        "--task-timing", "--task-timing-otel", "-n", "2", "-p", "no:benchmark", plugins=[memory]
    )

    result.assert_outcomes(**OUTCOMES)
    tests = memory.tests()
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert len([span for span in memory.spans if span.name in EXPECTED_OUTCOMES]) == len(
        EXPECTED_OUTCOMES
    )
    assert {
        name: span.attributes["tasktiming.result"] for name, span in tests.items()
    } == EXPECTED_OUTCOMES  # type: ignore[index]
    assert {span.attributes["tasktiming.worker"] for span in tests.values()} <= {"gw0", "gw1"}  # type: ignore[index]
    for nodeid, span in tests.items():
        assert span.attributes is not None
        assert span.attributes["tasktiming.task_id"] == finals[nodeid].task_id


DEAD = "http://127.0.0.1:9"
"""Where no collector listens: nothing is sent anyway, the spans stay in memory."""


@pytest.mark.parametrize(
    ("environment", "args", "spans"),
    [
        pytest.param({}, [], False, id="off-by-default"),
        pytest.param({"OTEL_EXPORTER_OTLP_ENDPOINT": DEAD}, [], True, id="endpoint"),
        pytest.param({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": DEAD}, [], True, id="traces-endpoint"),
        pytest.param({"OTEL_TRACES_EXPORTER": "otlp"}, [], True, id="exporter"),
        pytest.param({}, ["-o", "task_timing_otel=true"], True, id="ini"),
        pytest.param(
            {"OTEL_TRACES_EXPORTER": "none"}, ["-o", "task_timing_otel=true"], False,
            id="env-none-beats-ini",
        ),
        pytest.param(
            {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, [], False,
            id="sdk-disabled",
        ),
        pytest.param(
            {"OTEL_TRACES_EXPORTER": "none"}, ["--task-timing-otel"], True, id="flag-beats-env"
        ),
    ],
)  # fmt: skip
def test_the_option_the_ini_key_and_the_otel_variables_switch_export(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    args: list[str],
    spans: bool,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST)
    memory = SpansInMemory()

    result = pytester.runpytest("--task-timing", *args, plugins=[memory])

    result.assert_outcomes(**OUTCOMES)
    assert bool(memory.tests()) is spans


def test_the_otel_option_without_recording_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--task-timing-otel")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--task-timing-otel needs --task-timing*"])


def test_otel_variables_without_recording_change_nothing(
    pytester: pytest.Pytester, memory: SpansInMemory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", DEAD)
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST)

    pytester.runpytest(plugins=[memory]).assert_outcomes(**OUTCOMES)

    assert memory.spans == ()
    assert not (pytester.path / "task_timing.tsv").exists()


def test_without_the_sdk_the_option_is_a_usage_error_and_the_variables_a_header_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST)

    by_option = pytester.runpytest("--task-timing", "--task-timing-otel")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", DEAD)
    by_variable = pytester.runpytest("--task-timing")

    assert by_option.ret == pytest.ExitCode.USAGE_ERROR
    by_option.stderr.fnmatch_lines(["*needs the OpenTelemetry SDK: pip install*[otel]*"])
    by_variable.assert_outcomes(**OUTCOMES)
    by_variable.stdout.fnmatch_lines(
        ["tasktiming: no spans: OpenTelemetry export (OTEL_EXPORTER_OTLP_ENDPOINT) needs*"]
    )


def test_an_unknown_exporter_name_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "carrier_pigeon")

    result = pytester.runpytest("--task-timing")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown span exporter 'carrier_pigeon' from OTEL_TRACES_EXPORTER*"]
    )


def test_the_otlp_variables_configure_the_default_exporter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.invalid:4318")
    otlp = default_exporter()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    console = default_exporter()

    assert isinstance(otlp, OTLPSpanExporter)
    assert otlp._endpoint == "http://collector.invalid:4318/v1/traces"
    assert isinstance(console, ConsoleSpanExporter)


# --- a collector that is down ----------------------------------------------------------------

SLOW_SUITE = """
import time
import pytest

@pytest.mark.parametrize("n", range(20))
def test_takes_a_little_while(n):
    time.sleep(0.01)
    assert n != 7
"""


def timed_run(pytester: pytest.Pytester, *args: str) -> tuple[float, pytest.RunResult]:
    begin = time.perf_counter()
    result = pytester.runpytest(*args)
    return time.perf_counter() - begin, result


def test_an_unreachable_collector_changes_neither_the_results_nor_the_time(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    default_exporter()  # the HTTP client's first import is not the run's cost
    pytester.makepyfile(test_slow_suite=SLOW_SUITE)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.5")
    tsv = pytester.path / "task_timing.tsv"
    plain, exported = [], []
    for _ in range(2):  # interleaved, best of two: one timing on a busy machine says little
        tsv.unlink(missing_ok=True)
        seconds, result = timed_run(pytester, "--task-timing")
        plain.append((seconds, result, final_by_task(tsv)))
        tsv.unlink()
        seconds, result = timed_run(pytester, "--task-timing", "--task-timing-otel")
        exported.append((seconds, result, final_by_task(tsv)))

    for _, result, finals in plain + exported:
        result.assert_outcomes(passed=19, failed=1)
        assert {task: row.result for task, row in finals.items()} == {
            task: row.result for task, row in plain[0][2].items()
        }
    assert min(run[0] for run in exported) < min(run[0] for run in plain) + 1.0


def test_a_collector_that_never_answers_delays_the_end_by_the_flush_budget_at_most(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    default_exporter()
    pytester.makepyfile(test_slow_suite=SLOW_SUITE)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", DEAD)  # 10 s of retries

    plain, _ = timed_run(pytester, "--task-timing")
    exported, result = timed_run(pytester, "--task-timing")

    result.assert_outcomes(passed=19, failed=1)
    # Without the budget the exporter's retries take 10 s; a busy machine adds seconds to any
    # run, so the margin is wide but still well short of those 10 s.
    assert exported < plain + FLUSH_BUDGET + 4.0


# --- rows of a plain program ---------------------------------------------------------------


def test_export_rows_sends_the_final_rows_of_a_file(tsv_path: Path) -> None:
    @timed_task(name="fetch", timeout=None)
    def fetch(n: int) -> int:
        return n

    fetch(1)
    fetch(2)
    from pytest_tasktiming.writer import flush_all

    flush_all()
    exporter = InMemorySpanExporter()

    sent = export_rows(read_rows(tsv_path), exporter)

    finals = [row for row in rows_of(tsv_path) if row.is_final]
    spans = exporter.get_finished_spans()
    assert sent == len(spans) == len(finals) == 2
    assert sorted(span.attributes["tasktiming.task_id"] for span in spans) == sorted(  # type: ignore[index]
        row.task_id for row in finals
    )
    assert {span.name for span in spans} == {"fetch"}
    assert all(span.attributes["tasktiming.mode"] == "code" for span in spans)  # type: ignore[index]


# --- decorated code as spans, received by a collector of our own --------------------------


class Collector:
    """An OTLP/HTTP collector on a free local port: it decodes every span it receives."""

    def __init__(self) -> None:
        import http.server
        import threading

        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        received = self.spans = []  # type: ignore[var-annotated]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        received.extend(scope.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    running = Collector()
    yield running
    running.close()


ORCHESTRATOR = """
import time
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from pytest_tasktiming import timed, timed_task

provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

@timed_task(name="fetch", timeout=None)
def fetch():
    time.sleep(0.01)

@timed_task(name="flaky", timeout=None, max_failures=0)
def flaky():
    raise ValueError("the mirror is down")

with trace.get_tracer("orchestrator").start_as_current_span("nightly build"):
    fetch()
    try:
        flaky()
    except ValueError:
        pass
    with timed("deploy", timeout=0.2):
        time.sleep(5)
"""


def test_decorated_code_becomes_spans_under_the_callers_span_when_the_variables_say_so(
    tmp_path: Path, collector: Collector
) -> None:
    tsv = tmp_path / "task_timing.tsv"
    script = tmp_path / "orchestrator.py"
    script.write_text(ORCHESTRATOR, encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "TASK_TIMING_FILE": str(tsv),
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "TaskTimeoutError" in done.stderr  # deploy timed out, and the script says so

    spans = {span.name: span for span in collector.spans}
    assert set(spans) == {"nightly build", "fetch", "flaky", "deploy"}
    parent = spans["nightly build"]
    finals = {row.task: row for row in read_rows(tsv) if row.is_final}
    for name in ("fetch", "flaky", "deploy"):
        span, row = spans[name], finals[name]
        assert span.trace_id == parent.trace_id and span.parent_span_id == parent.span_id
        assert abs(span.start_time_unix_nano - to_ns(row.start_time)) < 1000  # the file's µs
        attributes = {a.key: a.value for a in span.attributes}
        assert attributes["tasktiming.task_id"].string_value == row.task_id
        assert attributes["tasktiming.result"].string_value == row.result
        assert attributes["tasktiming.duration"].double_value == row.duration
    events = {name: list(spans[name].events) for name in ("fetch", "flaky", "deploy")}
    assert events["fetch"] == []
    (failure,) = events["flaky"]
    (timeout,) = events["deploy"]
    assert {a.key: a.value.string_value for a in failure.attributes} == {
        "exception.type": "ValueError",
        "exception.message": "the mirror is down",
    }
    details = {a.key: a.value.string_value for a in timeout.attributes}
    assert details["exception.type"] == "pytest_tasktiming.TaskTimeoutError"
    assert "deploy" in details["exception.message"]


def test_without_the_variables_decorated_code_uses_a_plain_writer(tsv_path: Path) -> None:
    from pytest_tasktiming.shared_writers import shared_writer
    from pytest_tasktiming.writer import AsyncBufferedWriter

    assert type(shared_writer(tsv_path)) is AsyncBufferedWriter
