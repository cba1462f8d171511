"""Shards and the slowest-first order in one process, and what the history file may look like."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from history_files import recorded

from pytest_tasktiming.history.partition import partition

# Three modules; the durations the history gives each test (none ever sleeps).
SUITE = {
    "test_alpha.py::test_a1": 4.0,
    "test_alpha.py::test_a2": 1.0,
    "test_alpha.py::TestGroup::test_g1": 2.0,
    "test_alpha.py::TestGroup::test_g2": 6.0,
    "test_beta.py::test_b1": 0.5,
    "test_beta.py::test_b2": 9.0,
    "test_gamma.py::test_c1": 3.0,
    "test_gamma.py::test_c2": 0.25,
}
# Each module counts the setups of its module- and class-scoped fixtures in setups.txt.
MODULE = """
import pytest

@pytest.fixture(scope="module", autouse=True)
def per_module(request):
    with open("setups.txt", "a") as out:
        out.write(f"module {{request.module.__name__}}\\n")

{tests}
"""
CLASS = """
class TestGroup:
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def per_class(cls):
        with open("setups.txt", "a") as out:
            out.write("class TestGroup\\n")

{methods}
"""


def make_suite(pytester: pytest.Pytester, extra: dict[str, float] | None = None) -> None:
    """The modules of SUITE (and of ``extra``: tests the history does not know)."""
    modules: dict[str, list[str]] = {}
    for nodeid in [*SUITE, *(extra or {})]:
        module, _, name = nodeid.partition("::")
        modules.setdefault(module.removesuffix(".py"), []).append(name)
    for module, names in modules.items():
        plain = "\n".join(f"def {name}():\n    pass\n" for name in names if "::" not in name)
        methods = "\n".join(
            f"    def {name.split('::')[1]}(self):\n        pass\n"
            for name in names
            if "::" in name
        )
        tests = plain + (CLASS.format(methods=methods) if methods else "")
        pytester.makepyfile(**{module: MODULE.format(tests=tests)})


def ran(result: pytest.RunResult) -> list[str]:
    """The node ids of the tests that ran, in order (from ``-v`` lines)."""
    return [m.group(1) for m in map(re.compile(r"^(\S+::\S+) PASSED").match, result.outlines) if m]


@pytest.fixture(autouse=True)
def _no_inherited_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASK_TIMING_FILE", raising=False)
    for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def history(pytester: pytest.Pytester) -> Path:
    make_suite(pytester)
    return recorded(pytester.path / "task_timing.tsv", SUITE)


@pytest.mark.parametrize("shards", [2, 3])
def test_shards_run_every_test_exactly_once_split_by_recorded_time(
    pytester: pytest.Pytester, history: Path, shards: int
) -> None:
    seen: list[str] = []
    for index in range(1, shards + 1):
        result = pytester.runpytest("-v", f"--task-timing-shard={index}/{shards}")
        selected = ran(result)
        assert result.ret == pytest.ExitCode.OK
        result.assert_outcomes(passed=len(selected), deselected=len(SUITE) - len(selected))
        assert sorted(selected) == sorted(partition(SUITE, shards)[index - 1])
        seen += selected
    assert sorted(seen) == sorted(SUITE)


def test_the_summary_gives_the_shards_predicted_time_against_the_others(
    pytester: pytest.Pytester, history: Path
) -> None:
    result = pytester.runpytest("--task-timing-shard=2/2")
    result.stdout.fnmatch_lines(
        [
            # 25.75 s in quarters of a second cannot be halved: 13 s and 12.75 s are the best.
            "task timing: shard 2/2 (command line option --task-timing-shard): 5 of 8 tests, "
            "predicted 12.75s; slowest shard 13.00s, fastest 12.75s"
        ]
    )


def test_tests_without_history_count_at_the_mean_and_removed_tests_are_ignored(
    pytester: pytest.Pytester, history: Path
) -> None:
    for path in pytester.path.glob("test_gamma.py"):
        path.unlink()  # removed since the history was written
    make_suite(pytester, {"test_delta.py::test_new1": 0, "test_delta.py::test_new2": 0})
    (pytester.path / "test_gamma.py").unlink()
    seen = []
    for index in (1, 2):
        result = pytester.runpytest("-v", f"--task-timing-shard={index}/2")
        seen += ran(result)
        result.stdout.fnmatch_lines(
            ["*; 2 tests without history counted at the mean, 3.750s"]  # (4+1+2+6+.5+9)/6
        )
    assert sorted(seen) == sorted(
        [
            *(n for n in SUITE if "gamma" not in n),
            "test_delta.py::test_new1",
            "test_delta.py::test_new2",
        ]
    )


def test_shard_auto_takes_gitlabs_variables(
    pytester: pytest.Pytester, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_NODE_INDEX", "1")
    monkeypatch.setenv("CI_NODE_TOTAL", "2")
    result = pytester.runpytest("-v", "--task-timing-shard=auto")
    assert sorted(ran(result)) == sorted(partition(SUITE, 2)[0])
    result.stdout.fnmatch_lines(
        ["task timing: shard 1/2 (GitLab CI_NODE_INDEX=1, CI_NODE_TOTAL=2)*"]
    )


def test_shard_auto_outside_ci_runs_every_test_and_says_so(
    pytester: pytest.Pytester, history: Path
) -> None:
    result = pytester.runpytest("--task-timing-shard=auto")
    result.assert_outcomes(passed=len(SUITE))
    result.stdout.fnmatch_lines(["task timing: shard auto, but no CI parallel-job variables*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--task-timing-shard=3/2"],
            "invalid shard '3/2' from command line option --task-timing-shard: expected K/N "
            "with 1 <= K <= N*",
            id="shard",
        ),
        pytest.param(
            ["--task-timing-order=fastest"],
            "invalid order 'fastest' from command line option --task-timing-order: "
            "expected none or slowest-first",
            id="order",
        ),
        pytest.param(
            ["--task-timing", "--task-timing-timeout=auto", "--task-timing-auto-factor=0.5"],
            "invalid auto-timeout factor '0.5' from command line option "
            "--task-timing-auto-factor: expected a number >= 1, e.g. 5",
            id="factor",
        ),
    ],
)
def test_bad_values_stop_with_one_clear_line(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_slowest_first_keeps_modules_and_classes_together_longest_first(
    pytester: pytest.Pytester, history: Path
) -> None:
    default = pytester.runpytest("-v")
    setups = pytester.path.joinpath("setups.txt").read_text().splitlines()
    pytester.path.joinpath("setups.txt").unlink()
    result = pytester.runpytest("-v", "--task-timing-order=slowest-first")
    # alpha (13 s: the class's 8 s, then 4 and 1), beta (9.5 s), gamma (3.25 s).
    assert ran(result) == [
        "test_alpha.py::TestGroup::test_g2",
        "test_alpha.py::TestGroup::test_g1",
        "test_alpha.py::test_a1",
        "test_alpha.py::test_a2",
        "test_beta.py::test_b2",
        "test_beta.py::test_b1",
        "test_gamma.py::test_c1",
        "test_gamma.py::test_c2",
    ]
    assert sorted(ran(default)) == sorted(ran(result))
    reordered = pytester.path.joinpath("setups.txt").read_text().splitlines()
    assert sorted(reordered) == sorted(setups)  # no fixture set up once more


def test_the_ini_option_orders_too_and_a_session_without_history_keeps_collection_order(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester)
    pytester.makeini("[pytest]\ntask_timing_order = slowest-first\n")
    result = pytester.runpytest("-v")
    assert ran(result) == list(SUITE)
    result.stdout.fnmatch_lines(["task timing: no history yet: task_timing.tsv does not exist"])


def test_a_module_scoped_parameter_keeps_its_groups(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_params="""
        import pytest

        @pytest.fixture(scope="module", params=["x", "y"])
        def backend(request):
            with open("setups.txt", "a") as out:
                out.write(request.param + "\\n")
            return request.param

        @pytest.mark.parametrize("n", [1, 2])
        def test_uses(backend, n):
            pass
        """
    )
    recorded(
        pytester.path / "task_timing.tsv",
        {
            "test_params.py::test_uses[x-1]": 1.0,
            "test_params.py::test_uses[x-2]": 2.0,
            "test_params.py::test_uses[y-1]": 9.0,
            "test_params.py::test_uses[y-2]": 3.0,
        },
    )
    result = pytester.runpytest("-v", "--task-timing-order=slowest-first")
    assert ran(result) == [
        "test_params.py::test_uses[x-2]",
        "test_params.py::test_uses[x-1]",
        "test_params.py::test_uses[y-1]",
        "test_params.py::test_uses[y-2]",
    ]
    assert pytester.path.joinpath("setups.txt").read_text().split() == ["x", "y"]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        pytest.param(
            b"", "task timing: history task_timing.tsv not used: *file is empty*", id="empty"
        ),
        pytest.param(
            b"\x00\x01garbage\n",
            "task timing: history task_timing.tsv not used: *header*",
            id="corrupt",
        ),
    ],
)
def test_an_unreadable_history_is_one_line_and_a_run_without_it(
    pytester: pytest.Pytester, content: bytes, line: str
) -> None:
    make_suite(pytester)
    pytester.path.joinpath("task_timing.tsv").write_bytes(content)
    result = pytester.runpytest(
        "-v", "--task-timing-order=slowest-first", "--task-timing-shard=1/1"
    )
    assert result.ret == pytest.ExitCode.OK
    assert ran(result) == list(SUITE)
    result.stdout.fnmatch_lines([line])


def test_bad_lines_are_skipped_with_one_line(pytester: pytest.Pytester, history: Path) -> None:
    with history.open("ab") as stream:
        stream.write(b"torn\tline\n")
    result = pytester.runpytest("--task-timing-order=slowest-first")
    result.stdout.fnmatch_lines(["task timing: history task_timing.tsv: skipped 1 lines that*"])
    result.assert_outcomes(passed=len(SUITE))


@pytest.mark.parametrize(
    "cache", [pytest.param([], id="cache"), pytest.param(["-p", "no:cacheprovider"], id="no-cache")]
)
def test_the_history_is_the_same_with_and_without_the_cache_and_follows_new_rows(
    pytester: pytest.Pytester, history: Path, cache: list[str]
) -> None:
    first = ran(pytester.runpytest("-v", "--task-timing-order=slowest-first", *cache))
    # Now test_c2 became the slowest test of all: a warm index must see the appended rows.
    recorded(pytester.path / "more.tsv", {"test_gamma.py::test_c2": 100.0}, runs=10)
    with history.open("ab") as stream:
        stream.write(pytester.path.joinpath("more.tsv").read_bytes().split(b"\n", 1)[1])
    second = ran(pytester.runpytest("-v", "--task-timing-order=slowest-first", *cache))
    assert first[-2:] == ["test_gamma.py::test_c1", "test_gamma.py::test_c2"]
    assert second[:2] == ["test_gamma.py::test_c2", "test_gamma.py::test_c1"]


def test_a_huge_history_is_read(pytester: pytest.Pytester) -> None:
    make_suite(pytester)
    durations = {f"test_old.py::test_{n}": 0.5 for n in range(20_000)} | SUITE
    recorded(pytester.path / "task_timing.tsv", durations, runs=5)  # 200,000 rows, 30 MB
    result = pytester.runpytest("-v", "--task-timing-shard=1/2")
    assert sorted(ran(result)) == sorted(partition(SUITE, 2)[0])


def test_another_history_file_and_the_recording_file_are_separate(
    pytester: pytest.Pytester,
) -> None:
    make_suite(pytester)
    recorded(pytester.path / "baseline.tsv", SUITE)
    result = pytester.runpytest(
        "-v",
        "--task-timing",
        "--task-timing-history=baseline.tsv",
        "--task-timing-order=slowest-first",
    )
    assert ran(result)[0] == "test_alpha.py::TestGroup::test_g2"
    assert pytester.path.joinpath("task_timing.tsv").exists()


def test_a_session_without_history_options_does_not_import_them(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish():
            ours = ("pytest_tasktiming.history", "pytest_tasktiming.plugin.history")
            loaded = [m for m in sys.modules if m.startswith(ours)]
            assert not loaded, loaded
        """
    )
    pytester.makepyfile("def test_one():\n    pass\n")
    code = "import sys, pytest; sys.exit(pytest.main(['-p', 'no:cacheprovider', '--task-timing']))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=pytester.path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
