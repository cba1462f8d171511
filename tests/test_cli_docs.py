"""The sessions in docs/cli.md are real: each ```console block runs again and gives that output.

A block runs as one bash script in a fresh copy of docs/examples/, with the default file
(no ``TASK_TIMING_FILE``). Column padding is compared loosely, and so are what changes from
run to run: new task ids, ages ("2d 14h ago") and the seconds an interrupted task has run.
A block marked ```console approx also compares its numbers and timestamps loosely.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from processes import run_captured

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "cli.md"
BLOCK = re.compile(r"^```console( approx)?\n(.*?)^```$", re.DOTALL | re.MULTILINE)
MARK = "@@@ next command @@@"

LOOSE = [
    (re.compile(r"\b\d+(d \d\dh|h \d\dm|m \d\ds|s) ago\b"), "<age> ago"),
    (re.compile(r"interrupted +\d+\.\d+"), "interrupted <elapsed>"),
    (re.compile(r"\b[0-9a-f]{12}-\d+\b"), "<task id>"),
    (re.compile(r" +"), " "),
]
APPROX = [
    (re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00"), "<time>"),
    (re.compile(r"\b\d+\.\d+\b"), "<number>"),
]


def sessions() -> list[tuple[bool, list[tuple[str, str]]]]:
    """Each block: (approx, [(command, expected output), ...])."""
    found = []
    for match in BLOCK.finditer(PAGE.read_text(encoding="utf-8")):
        steps: list[tuple[str, str]] = []
        for line in match.group(2).splitlines(keepends=True):
            if line.startswith("$ "):
                steps.append((line[2:].rstrip("\n"), ""))
            else:
                command, output = steps[-1]
                steps[-1] = (command, output + line)
        found.append((bool(match.group(1)), steps))
    return found


def normal(text: str, approx: bool) -> str:
    for pattern, replacement in LOOSE + (APPROX if approx else []):
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize(
    ("approx", "steps"),
    [pytest.param(approx, steps, id=steps[0][0][:40]) for approx, steps in sessions()],
)
def test_the_session_in_the_docs_is_what_the_commands_print(
    approx: bool, steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    workdir = tmp_path / "examples"
    shutil.copytree(ROOT / "docs" / "examples", workdir)
    # Print a mark before each command, keeping $? for `echo "exit status $?"`.
    script = "exec 2>&1\n" + "".join(
        f"status=$?; echo '{MARK}'; (exit $status); {command}\n" for command, _ in steps
    )
    result = run_captured(["bash", "-c", script], cwd=workdir)  # with the default file
    outputs = result.stdout.split(MARK + "\n")[1:]
    assert len(outputs) == len(steps), result.stdout
    for (command, expected), actual in zip(steps, outputs, strict=True):
        assert normal(actual, approx) == normal(expected, approx), command
