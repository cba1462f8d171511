"""The scan's findings as text (like ruff), JSON, GitHub Actions workflow commands or SARIF."""

from __future__ import annotations

from collections.abc import Sequence

from .findings import ERROR, Finding

FORMATS = ("text", "json", "github", "sarif")


def render(findings: Sequence[Finding], fmt: str) -> str:
    """``findings`` in format ``fmt`` (one of ``FORMATS``)."""
    if fmt == "json":
        return _json(findings)
    if fmt == "github":
        return "".join(_workflow_command(finding) + "\n" for finding in findings)
    if fmt == "sarif":
        from .. import __version__
        from .sarif import sarif

        return sarif(findings, __version__)
    if fmt == "text":
        return _text(findings)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")


def _text(findings: Sequence[Finding]) -> str:
    lines = [f"{f.path}:{f.line}:{f.col}: {f.code} {f.text}" for f in findings]
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    if errors or warnings:
        summary = f"Found {errors} timeout{'s' if errors != 1 else ''} to fix"
        if warnings:
            summary += f" and {warnings} file{'s' if warnings != 1 else ''} not checked"
        lines.append(summary + ".")
    else:
        lines.append("No timeouts above the limit.")
    return "\n".join(lines) + "\n"


def _json(findings: Sequence[Finding]) -> str:
    import json

    data = [
        {
            "file": f.path,
            "line": f.line,
            "col": f.col,
            "value": f.value,
            "code": f.code,
            "message": f.message,
            "fix": f.fix,
            "severity": f.severity,
        }
        for f in findings
    ]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _workflow_command(finding: Finding) -> str:
    """``::error file=...,line=...,col=...,title=...::message``, escaped as GitHub requires."""
    properties = ",".join(
        f"{name}={_escape_property(str(value))}"
        for name, value in (
            ("file", finding.path),
            ("line", finding.line),
            ("col", finding.col),
            ("title", f"tasktiming {finding.code}"),
        )
    )
    return f"::{finding.severity} {properties}::{_escape_data(finding.text)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
