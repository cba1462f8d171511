"""The scan's findings as SARIF 2.1.0, the format GitHub code scanning uploads.

One run, the rules with their codes and summaries, one result per finding. Paths stay
relative (to ``%SRCROOT%``, the checkout) so that code scanning places them in the tree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .findings import RULES, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning"}


def sarif(findings: Sequence[Finding], version: str) -> str:
    """``findings`` as a SARIF 2.1.0 log."""
    rules = list(RULES.values())
    index = {rule.code: number for number, rule in enumerate(rules)}
    driver = {
        "name": "tasktiming scan",
        "version": version,
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.summary},
                "help": {"text": f"{rule.summary} See docs/cli.md of pytest-tasktiming."},
                "defaultConfiguration": {"level": _LEVELS[rule.severity]},
            }
            for rule in rules
        ],
    }
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": [_result(finding, index[finding.code]) for finding in findings],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"uri": _uri(finding.path)}
    if not os.path.isabs(finding.path):
        location["uriBaseId"] = "%SRCROOT%"
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": finding.line, "startColumn": finding.col},
                }
            }
        ],
    }


def _uri(path: str) -> str:
    posix = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + quote(posix if posix.startswith("/") else "/" + posix)
    return quote(posix)
