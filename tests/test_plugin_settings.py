"""Options, ini keys in every config format, the marker, precedence, and clear bad-value errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from plugin_helpers import final_by_task, rows_of

SHOW_SETTINGS = """
from pytest_tasktiming.plugin import SETTINGS_KEY

def test_show(request):
    settings = request.config.stash[SETTINGS_KEY]
    print(f"\\nSETTINGS timeout={settings.timeout} threshold={settings.warning_threshold} "
          f"enforce={settings.enforce} streak={settings.max_streak} mode={settings.mode}")
"""


NATIVE_TOML = pytest.mark.skipif(
    pytest.version_tuple < (9,), reason="[tool.pytest] tables are read from pytest 9 on"
)
"""pytest before 9 ignores a ``[tool.pytest]`` table: there is nothing of ours to test there."""


def settings_line(pytester: pytest.Pytester, *args: str) -> str:
    pytester.makepyfile(test_show=SHOW_SETTINGS)
    result = pytester.runpytest("-s", *args)
    result.assert_outcomes(passed=1)
    (line,) = [line for line in result.stdout.lines if line.startswith("SETTINGS ")]
    return line


CONFIG_FILES = [
    pytest.param(
        "pytest.ini",
        "[pytest]\ntask_timing = true\ntask_timing_timeout = 1h\n"
        "task_timing_max_streak = 4\ntask_timing_enforce = false\n",
        id="pytest.ini",
    ),
    pytest.param(
        "tox.ini",
        "[pytest]\ntask_timing = yes\ntask_timing_timeout = 3600\n"
        "task_timing_max_streak = 4\ntask_timing_enforce = no\n",
        id="tox.ini",
    ),
    pytest.param(
        "setup.cfg",
        "[tool:pytest]\ntask_timing = 1\ntask_timing_timeout = 60m\n"
        "task_timing_max_streak = 4\ntask_timing_enforce = 0\n",
        id="setup.cfg",
    ),
    pytest.param(
        "pyproject.toml",
        '[tool.pytest.ini_options]\ntask_timing = "true"\ntask_timing_timeout = "1h"\n'
        'task_timing_max_streak = "4"\ntask_timing_enforce = "false"\n',
        id="pyproject-ini_options",
    ),
    pytest.param(
        "pyproject.toml",
        "[tool.pytest]\ntask_timing = true\ntask_timing_timeout = 3600\n"
        "task_timing_max_streak = 4\ntask_timing_enforce = false\n",
        id="pyproject-native-toml-numbers",
        marks=NATIVE_TOML,
    ),
    pytest.param(
        "pyproject.toml",
        '[tool.pytest]\ntask_timing = "true"\ntask_timing_timeout = "1h"\n'
        'task_timing_max_streak = "4"\ntask_timing_enforce = "false"\n',
        id="pyproject-native-toml-strings",
        marks=NATIVE_TOML,
    ),
]


@pytest.mark.parametrize(("filename", "content"), CONFIG_FILES)
def test_every_config_format_takes_numbers_strings_and_units(
    pytester: pytest.Pytester, filename: str, content: str
) -> None:
    pytester.path.joinpath(filename).write_text(content)
    line = settings_line(pytester)
    assert line == "SETTINGS timeout=3600.0 threshold=0.8 enforce=False streak=4 mode=pytest"


def test_command_line_beats_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntask_timing = true\ntask_timing_timeout = 1h\n")
    line = settings_line(
        pytester,
        "--task-timing-timeout=90",
        "--task-timing-warning-threshold=0.5",
        "--task-timing-max-streak=2",
        "--task-timing-mode=ci",
        "--task-timing-no-enforce",
    )
    assert line == "SETTINGS timeout=90.0 threshold=0.5 enforce=False streak=2 mode=ci"


def test_zero_timeout_means_none(pytester: pytest.Pytester) -> None:
    line = settings_line(pytester, "--task-timing", "--task-timing-timeout=0")
    assert line.startswith("SETTINGS timeout=None ")


def test_default_file_is_in_the_rootdir_even_from_a_subdirectory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\n")
    sub = pytester.mkpydir("sub")
    sub.joinpath("test_one.py").write_text("def test_one():\n    pass\n")
    monkeypatch.chdir(sub)
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    assert len(rows_of(pytester.path / "task_timing.tsv")) == 2


def test_file_precedence_is_ini_then_environment_then_command_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makeini("[pytest]\ntask_timing = true\ntask_timing_file = from_ini/t.tsv\n")
    pytester.makepyfile("def test_one():\n    pass\n")
    pytester.runpytest()
    assert len(rows_of(pytester.path / "from_ini/t.tsv")) == 2

    env_file = tmp_path / "from_env.tsv"
    monkeypatch.setenv("TASK_TIMING_FILE", str(env_file))
    pytester.runpytest()
    assert len(rows_of(env_file)) == 2

    pytester.runpytest("--task-timing-file", "from_cli.tsv")
    assert len(rows_of(pytester.path / "from_cli.tsv")) == 2
    assert len(rows_of(env_file)) == 2
    assert len(rows_of(pytester.path / "from_ini/t.tsv")) == 2


def test_marker_sets_mode_task_and_timeout_of_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.task_timing(mode="db", task="database smoke test", timeout="2h")
        def test_marked():
            pass

        def test_plain():
            pass
        """
    )
    pytester.runpytest("--task-timing").assert_outcomes(passed=2)
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert finals["database smoke test"].mode == "db"
    assert finals["test_marker_sets_mode_task_and_timeout_of_one_test.py::test_plain"].mode == (
        "pytest"
    )
    started = [row for row in rows_of(pytester.path / "task_timing.tsv") if row.result == "started"]
    assert {row.task for row in started} == set(finals)


def test_marker_on_a_class_applies_to_its_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.task_timing(mode="slow-suite")
        class TestSuite:
            def test_a(self):
                pass

            def test_b(self):
                pass
        """
    )
    pytester.runpytest("--task-timing").assert_outcomes(passed=2)
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert {row.mode for row in finals.values()} == {"slow-suite"}


def test_marker_is_registered_even_when_the_plugin_is_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.task_timing(timeout=5)\ndef test_one():\n    pass\n"
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


BAD_VALUES = [
    pytest.param(
        ["--task-timing-timeout=abc"],
        "invalid timeout 'abc' from command line option --task-timing-timeout: "
        "expected seconds >= 0*",
        id="cli-timeout",
    ),
    pytest.param(
        ["-o", "task_timing_timeout=-5"],
        "invalid timeout '-5' from ini option task_timing_timeout: expected seconds >= 0*",
        id="ini-timeout",
    ),
    pytest.param(
        ["--task-timing-warning-threshold=1.5"],
        "invalid warning threshold '1.5' from command line option "
        "--task-timing-warning-threshold: expected a ratio of the timeout > 0 and <= 1*",
        id="threshold",
    ),
    pytest.param(
        ["-o", "task_timing_session_timeout=soon"],
        "invalid timeout 'soon' from ini option task_timing_session_timeout: "
        "expected seconds >= 0*",
        id="session-timeout",
    ),
    pytest.param(
        ["--task-timing-max-streak=two"],
        "invalid count 'two' from command line option --task-timing-max-streak: "
        "expected a whole number >= 0",
        id="streak",
    ),
    pytest.param(
        ["-o", "task_timing_enforce=maybe"],
        "invalid boolean 'maybe' from ini option task_timing_enforce: expected true or false",
        id="enforce",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_VALUES)
def test_bad_value_stops_with_one_clear_line(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest_subprocess("--task-timing", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@NATIVE_TOML
def test_bad_toml_type_names_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.pytest]\ntask_timing = true\ntask_timing_timeout = [1]\n")
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: invalid timeout [[]1[]] from ini option task_timing_timeout: expected*"]
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        pytest.param(
            "timeout='soon'",
            "invalid timeout 'soon' from marker task_timing on test_marker.py::test_one: *",
            id="bad-timeout",
        ),
        pytest.param(
            "timout=5",
            "invalid marker task_timing on test_marker.py::test_one: unknown keyword 'timout'; "
            "expected one of timeout, enforce, mode, task",
            id="misspelt",
        ),
        pytest.param(
            "5",
            "invalid marker task_timing on test_marker.py::test_one: positional arguments (5,); "
            "use keywords: timeout, enforce, mode, task",
            id="positional",
        ),
    ],
)
def test_bad_marker_stops_with_one_clear_line(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        test_marker=f"import pytest\n@pytest.mark.task_timing({marker})\ndef test_one(): pass\n"
    )
    result = pytester.runpytest("--task-timing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_a_session_that_never_enables_the_plugin_does_not_import_its_machinery() -> None:
    """pytest imports the plugin in every session: the rest waits until it is enabled."""
    machinery = {
        "asyncio", "filelock", "pytest_tasktiming.decorators", "pytest_tasktiming.timeout",
        "pytest_tasktiming.plugin.runner", "pytest_tasktiming.plugin.recorder",
    }  # fmt: skip
    code = (
        "import sys, pytest, pytest_tasktiming.plugin\n"
        f"loaded = {machinery!r} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
