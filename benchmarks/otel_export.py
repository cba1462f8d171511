"""What OpenTelemetry export adds to ``pytest --task-timing``, next to a hand-written conftest.

The alternative a user would otherwise write is a ``conftest.py`` that wraps each test in a
span of the OpenTelemetry SDK, with the same OTLP/HTTP exporter and batching processor. Both
send to a local OTLP/HTTP collector stand-in run by this script (it decodes every request and
counts the spans, so a configuration that loses spans shows it), and ours once more to a port
where nothing listens (the collector is down). Trivial tests, configurations interleaved in a
new random order each round, medians of the rounds; each run is a fresh ``python -m pytest``.

    pip install -e ".[test]"
    python benchmarks/otel_export.py --tests 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PER_FILE = 100
DEAD = "http://127.0.0.1:9"
TASKTIMING = ["-p", "pytest_tasktiming.plugin", "--task-timing"]

CONFTEST = """
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(shutdown_on_exit=False)
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("conftest")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    with tracer.start_as_current_span(item.nodeid):
        return (yield)


def pytest_unconfigure():
    provider.shutdown()
"""
"""The hand-written alternative: a span per test around its whole protocol."""


class Collector(ThreadingHTTPServer):
    """Takes OTLP/HTTP trace exports and counts the spans in them."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans = 0
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        count = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        with self.server.lock:
            self.server.spans += count
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def make_suite(root: Path, name: str, count: int, conftest: str = "") -> Path:
    suite = root / name
    suite.mkdir()
    for start in range(0, count, PER_FILE):
        body = "".join(
            f"def test_{i}():\n    pass\n\n\n" for i in range(start, min(start + PER_FILE, count))
        )
        (suite / f"test_trivial_{start // PER_FILE:03d}.py").write_text(body)
    if conftest:
        (suite / "conftest.py").write_text(conftest)
    return suite


def run_once(suite: Path, args: list[str], env: dict[str, str], out: Path) -> float:
    environment = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "TASK_TIMING_FILE": str(out / "task_timing.tsv"),
        **env,
    }
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite), *args],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    for leftover in out.iterdir():
        leftover.unlink()
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    collector = Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    live = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "out"
        out.mkdir()
        plain = make_suite(root, "plain", options.tests)
        hand = make_suite(root, "conftest", options.tests, CONFTEST)
        configs: dict[str, tuple[Path, list[str], dict[str, str]]] = {
            "bare pytest": (plain, [], {}),
            "hand-written conftest spans": (hand, [], live),
            "--task-timing": (plain, TASKTIMING, {}),
            "--task-timing, otel export": (plain, TASKTIMING, live),
            "--task-timing, otel, collector down": (plain, TASKTIMING, {
                "OTEL_EXPORTER_OTLP_ENDPOINT": DEAD}),
        }  # fmt: skip
        samples: dict[str, list[float]] = {name: [] for name in configs}
        spans: dict[str, list[int]] = {name: [] for name in configs}
        for number in range(options.rounds):
            order = list(configs)
            random.shuffle(order)
            for name in order:
                before = collector.spans
                samples[name].append(run_once(*configs[name], out))
                spans[name].append(collector.spans - before)
            print(f"  round {number + 1}/{options.rounds} done", file=sys.stderr)
    collector.shutdown()
    medians = {name: statistics.median(runs) for name, runs in samples.items()}
    print(f"{options.tests} trivial tests, median of {options.rounds} interleaved rounds")
    print(f"{'configuration':38} {'wall s':>7} {'us/test':>8} {'spans/run':>10}")
    base = medians["bare pytest"]
    for name, wall in medians.items():
        print(
            f"{name:38} {wall:7.2f} {(wall - base) / options.tests * 1e6:+8.1f} "
            f"{min(spans[name]):>10}"
        )
    ours = medians["--task-timing, otel export"] - medians["--task-timing"]
    theirs = medians["hand-written conftest spans"] - base
    down = medians["--task-timing, otel, collector down"] - medians["--task-timing"]
    print(
        f"\nexport alone: ours {ours / options.tests * 1e6:+.1f} us/test, the hand-written "
        f"conftest {theirs / options.tests * 1e6:+.1f} us/test; collector down: {down:+.2f} s "
        "for the whole run"
    )


if __name__ == "__main__":
    main()
