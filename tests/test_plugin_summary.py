"""The terminal summary, the Markdown step summary, and lines that keep pytest's progress whole."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt
from plugin_helpers import DECORATED_TEST, rows_of

N2 = ("-n", "2", "-p", "no:benchmark")

PHASED_TEST = """
import time
import pytest

@pytest.fixture
def slow_setup():
    time.sleep(0.2)
    yield
    time.sleep(0.1)

def test_slow_setup(slow_setup):
    pass

def test_slow_call():
    time.sleep(0.4)

@pytest.mark.parametrize("n", range(3))
def test_quick(n):
    pass
"""


@pytest.fixture(autouse=True)
def _no_inherited_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASK_TIMING_FILE", raising=False)


def slowest_lines(output: list[str]) -> list[list[str]]:
    """The rows of the slowest table, split in words, without its heading."""
    start = next(i for i, line in enumerate(output) if line.startswith("slowest "))
    rows = []
    for line in output[start + 2 :]:
        if not line.startswith("  "):
            break
        rows.append(line.split())
    return rows


_UNITS = {"µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def seconds(number: str, unit: str) -> float:
    """A duration as the summary prints it (``412 ms``), in seconds."""
    return float(number) * _UNITS[unit]


@pytest.mark.parametrize("xdist", [pytest.param((), id="serial"), pytest.param(N2, id="n2")])
def test_slowest_tests_show_the_setup_call_teardown_split(
    pytester: pytest.Pytester, xdist: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_phases=PHASED_TEST)
    result = pytester.runpytest("--task-timing", "--task-timing-slowest-min", "0.15", *xdist)
    result.assert_outcomes(passed=5)
    output = result.stdout.lines
    heading = output[output.index("slowest 2 tests:") + 1]
    assert heading.split() == ["total", "setup", "call", "teardown", "test"]
    # By name: on a busy machine the sleeps overrun and either test may be the slower one.
    rows = {row[-1]: row for row in slowest_lines(output)}
    assert set(rows) == {"test_phases.py::test_slow_call", "test_phases.py::test_slow_setup"}
    # total, setup, call, teardown: each a number and its unit
    phases = ("total", "setup", "call", "teardown")
    call, setup = rows["test_phases.py::test_slow_call"], rows["test_phases.py::test_slow_setup"]
    slow_call = dict(zip(phases, zip(call[0:8:2], call[1:8:2], strict=True), strict=True))
    slow_setup = dict(zip(phases, zip(setup[0:8:2], setup[1:8:2], strict=True), strict=True))
    assert seconds(*slow_call["call"]) >= 0.39
    assert seconds(*slow_setup["setup"]) >= 0.19
    assert seconds(*slow_setup["teardown"]) >= 0.09
    assert "(3 faster than 150 ms not listed: --task-timing-slowest-min 0 lists them)" in output


@pytest.mark.parametrize(
    ("args", "ini", "listed"),
    [
        pytest.param(["--task-timing-slowest", "1"], "", 1, id="option-n"),
        pytest.param([], "task_timing_slowest = 1", 1, id="ini-n"),
        pytest.param(["--task-timing-slowest-min", "0"], "", 5, id="option-min-0"),
        pytest.param([], "task_timing_slowest_min = 0.15", 2, id="ini-min"),
        pytest.param(
            ["--task-timing-slowest", "0", "--task-timing-slowest-min", "0"], "", 5, id="all"
        ),
        pytest.param(
            ["--task-timing-slowest", "2"], "task_timing_slowest = 1", 2, id="option-beats-ini"
        ),
    ],
)
def test_slowest_list_follows_its_options_and_ini_twins(
    pytester: pytest.Pytester, args: list[str], ini: str, listed: int
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_phases=PHASED_TEST)
    result = pytester.runpytest("--task-timing", *args)
    assert len(slowest_lines(result.stdout.lines)) == listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--task-timing-slowest", "many"],
            "invalid count 'many' from command line option --task-timing-slowest: "
            "expected a whole number >= 0",
            id="slowest",
        ),
        pytest.param(
            ["--task-timing-slowest-min", "-1"],
            "invalid minimum duration '-1' from command line option "
            "--task-timing-slowest-min: expected seconds >= 0, e.g. 0.005",
            id="slowest-min",
        ),
    ],
)
def test_bad_slowest_options_stop_the_session_in_one_line(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("--task-timing", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


@pytest.mark.parametrize("xdist", [pytest.param((), id="serial"), pytest.param(N2, id="n2")])
def test_row_count_is_every_row_appended_serial_and_under_xdist(
    pytester: pytest.Pytester, xdist: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_decorated=DECORATED_TEST)
    result = pytester.runpytest("--task-timing", *xdist)
    result.assert_outcomes(passed=7)
    rows = len(rows_of(pytester.path / "task_timing.tsv"))
    assert rows == 7 * 2 + 6 * 2 * 2  # tests, then helper and block: started and final each
    assert f"{rows} rows appended to task_timing.tsv (tests and timed code)" in result.stdout.lines


def test_a_collection_error_names_no_file_that_was_never_created(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_broken="import not_a_module\n")
    for args in (["-q"], []):
        result = pytester.runpytest("--task-timing", "--task-timing-html", "page.html", *args)
        assert result.ret == pytest.ExitCode.INTERRUPTED
        output = result.stdout.str()
        assert "task_timing.tsv" not in output
        assert "no rows written (no test ran)" in output
        assert "could not write the HTML report" in output
    assert not (pytester.path / "task_timing.tsv").exists()


@pytest.mark.parametrize(
    "args",
    [pytest.param(["-q"], id="quiet"), pytest.param(["-q", *N2], id="quiet-n2")],
)
def test_html_message_is_a_line_of_its_own(pytester: pytest.Pytester, args: list[str]) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n\ndef test_bad():\n    assert False\n")
    result = pytester.runpytest("--task-timing", "--task-timing-html", "out.html", *args)
    result.assert_outcomes(passed=1, failed=1)
    message = f"task timing: HTML report -> {pytester.path / 'out.html'}"
    assert message in result.stdout.lines


def run_merged(pytester: pytest.Pytester, *args: str) -> list[str]:
    """pytest in a subprocess with stderr and stdout in one pipe, in the order written."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--task-timing", *args],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return done.stdout.splitlines()


WARNED_TEST = """
import time
import pytest

def test_before():
    pass

@pytest.mark.task_timing(timeout=10, enforce=False)
def test_slow():
    time.sleep(3)  # warned at 1 s (10 %), 2 s before it ends and 7 s before its limit

def test_after():
    pass
"""


@pytest.mark.parametrize(
    ("args", "around"),
    [
        pytest.param([], ("test_warned.py .", "test_warned.py .."), id="default"),
        pytest.param(["-q"], (".", ".."), id="quiet"),
        pytest.param(["-v"], ("*::test_slow ", "*::test_slow PASSED*"), id="verbose"),
        pytest.param(["-n", "2"], ("*", "*"), id="n2"),
    ],
)
def test_a_timeout_warning_is_a_line_of_its_own_between_progress_lines(
    pytester: pytest.Pytester, args: list[str], around: tuple[str, str]
) -> None:
    pytester.makepyfile(test_warned=WARNED_TEST)
    lines = run_merged(pytester, "--task-timing-warning-threshold", "0.1", *args)
    warning = next(i for i, line in enumerate(lines) if line.startswith("tasktiming: "))
    assert lines[warning].startswith("tasktiming: test_warned.py::test_slow has run ")
    assert lines[warning].endswith("of its 10s timeout")
    before, after = around
    assert pytest.LineMatcher(lines[warning - 1 : warning]).fnmatch_lines([before]) is None
    next_line = lines[warning + 1].split("[")[0].rstrip()  # [100%] and its padding
    assert pytest.LineMatcher([next_line]).fnmatch_lines([after]) is None


SUMMARY_TEST = """
import time
import pytest

def test_passes():
    time.sleep(0.05)

def test_fails():
    assert False

@pytest.mark.task_timing(timeout=0.3)
def test_times_out():
    time.sleep(5)

@pytest.mark.skip
def test_skipped():
    pass
"""


def parse(markdown: str) -> list[str]:
    """The rendered HTML of ``markdown``, line by line (GitHub's flavour: tables on)."""
    return MarkdownIt("commonmark").enable("table").render(markdown).splitlines()


def test_step_summary_is_markdown_github_renders(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "step_summary.md"
    summary.write_text("earlier step\n\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pytester.makepyfile(test_mixed=SUMMARY_TEST)
    for _ in range(2):  # the second run makes test_fails a streak of two, not a regression
        pytester.runpytest("--task-timing").assert_outcomes(passed=1, failed=2, skipped=1)
    (pytester.path / "test_mixed.py").write_text(SUMMARY_TEST.replace("assert False", "pass"))
    pytester.runpytest("--task-timing")
    (pytester.path / "test_mixed.py").write_text(SUMMARY_TEST)
    pytester.runpytest("--task-timing")  # test_fails: failing again after passing

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n\n### Task timing\n")  # appended, never overwritten
    last = text[text.rindex("### Task timing") :]
    html = parse(last)
    assert html[0] == "<h3>Task timing</h3>"
    assert html[1].startswith("<p><strong>1 passed, 1 failed, 1 timeout, 1 skipped</strong>")
    assert "rows appended to task_timing.tsv" in html[1]
    table = html[html.index("<table>") : html.index("</table>") + 1]
    assert '<th style="text-align:left">test</th>' in table
    assert '<th style="text-align:right">call</th>' in table
    assert '<td style="text-align:left">test_mixed.py::test_times_out</td>' in table
    assert html[html.index("<h4>Timed out</h4>") + 2].startswith(
        "<li><code>test_mixed.py::test_times_out</code> after "
    )
    regressions = html.index("<h4>Failing again after passing last time</h4>")
    assert html[regressions + 2] == "<li><code>test_mixed.py::test_fails</code></li>"


def test_summary_file_option_appends_the_same_markdown_anywhere(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_mixed=SUMMARY_TEST)
    pytester.makeini("[pytest]\ntask_timing_summary_file = ci/summary.md\n")
    (pytester.path / "ci").mkdir()
    pytester.runpytest("--task-timing")
    pytester.runpytest("--task-timing", "--task-timing-summary-file", "other.md")
    from_ini = (pytester.path / "ci" / "summary.md").read_text(encoding="utf-8")
    from_option = (pytester.path / "other.md").read_text(encoding="utf-8")
    assert from_ini.count("### Task timing") == 1
    assert parse(from_option)[0] == "<h3>Task timing</h3>"


def test_an_unwritable_summary_file_is_reported_and_the_run_stands(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("--task-timing", "--task-timing-summary-file", "missing/dir.md")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["task timing: could not append the summary to */missing/dir.md: *"]
    )
