"""Whether the standard ``OTEL_*`` variables switch span export on: one rule, every process.

Read by the pytest plugin (beside its option and ini key) and, once per file, by the
decorators' shared writer, so that a plain program's ``@timed_task`` and ``timed`` rows
become spans under the same variables. Only the environment is read here: no SDK import.
"""

from __future__ import annotations

import os

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def export_by_env() -> tuple[bool | None, str]:
    """``(on, the variable that decided)``, or ``(None, "")`` when no variable says.

    ``OTEL_SDK_DISABLED=true`` and ``OTEL_TRACES_EXPORTER=none`` switch it off, as they do
    for every OpenTelemetry SDK; any other exporter name or an OTLP endpoint switches it on.
    """
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False, "OTEL_SDK_DISABLED"
    exporter = os.environ.get("OTEL_TRACES_EXPORTER")
    if exporter:
        return exporter.strip().lower() != "none", "OTEL_TRACES_EXPORTER"
    for name in ENDPOINTS:
        if os.environ.get(name):
            return True, name
    return None, ""
