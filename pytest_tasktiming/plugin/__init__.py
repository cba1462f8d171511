"""The pytest plugin: ``pytest --task-timing`` makes every test a row of the TSV file.

Registered through the ``pytest11`` entry point; until enabled it only adds its options
(``options.py``), marker and hooks (``hookspecs.py``), and imports nothing else of ours but
the settings. Enabled, ``pytest_configure`` resolves the settings once and registers the
stateful parts, imported only then: a ``Runner`` where tests run (``runner.py``: deadline,
duration, outcome) and, where the file is written, a ``Recorder`` (``recorder.py``); an xdist
worker gets a ``WorkerRelay`` (``workers.py``) instead.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_tasktiming.paths import ENV_FILE
from pytest_tasktiming.plugin import hookspecs
from pytest_tasktiming.plugin.options import (
    MARKER_HELP,
    add_options,
    history_wanted,
    is_worker,
    otel_wanted,
    recording_enabled,
    worker_path,
)

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.settings import HistorySettings, Settings

SETTINGS_KEY: pytest.StashKey[Settings] = pytest.StashKey()
"""The session's resolved settings, in ``config.stash`` when the plugin is enabled."""


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    if not recording_enabled(config):
        for option in ("--task-timing-html", "--task-timing-otel"):
            if config.getoption(option.lstrip("-").replace("-", "_")):
                raise pytest.UsageError(f"{option} needs --task-timing (or task_timing = true)")
        if history_wanted(config):  # shards and order work without recording too
            from pytest_tasktiming.plugin.settings import HistorySettings

            _use_history(config, HistorySettings.from_config(config, auto_timeout=None))
        return
    # Here: a session that does not record never loads the rest.
    from pytest_tasktiming.plugin.recorder import Recorder
    from pytest_tasktiming.plugin.runner import Runner
    from pytest_tasktiming.plugin.settings import HistorySettings, Settings
    from pytest_tasktiming.plugin.workers import WorkerRelay

    settings = Settings.from_config(config)
    worker = is_worker(config)
    export, source = otel_wanted(config)
    if export and not worker:  # spans come from the process that writes the rows
        from pytest_tasktiming.plugin import otel

        otel.configure(config, settings, source)
    if settings.auto_timeout is not None or history_wanted(config):
        _use_history(config, HistorySettings.from_config(config, settings.auto_timeout))
    if worker:
        settings = settings._replace(path=worker_path(config) or settings.path)
    config.stash[SETTINGS_KEY] = settings
    _point_environment_at(config, settings.path)
    runner = Runner(config, settings, exit_on_stuck=True if worker else None)
    config.pluginmanager.register(runner, "tasktiming-runner")
    # Only one process writes test rows: this one, or under xdist the controller, to which
    # workers send what they measured inside the reports.
    if worker:
        runner.relay = WorkerRelay(config, settings.path)
        config.pluginmanager.register(runner.relay, "tasktiming-relay")
    else:
        runner.recorder = Recorder(config, settings, runner.session_limit)
        config.pluginmanager.register(runner.recorder, "tasktiming-recorder")


@pytest.hookimpl(tryfirst=True)  # before xdist's starts the workers
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, tests run in workers: the controller hears of them from their reports."""
    plugins = session.config.pluginmanager
    recorder = plugins.get_plugin("tasktiming-recorder")
    if recorder is not None and plugins.has_plugin("dsession"):
        from pytest_tasktiming.plugin.controller import ControllerHooks

        plugins.register(ControllerHooks(recorder), "tasktiming-controller")


HTML_MESSAGE_KEY = pytest.StashKey[tuple[str, bool]]()
"""What became of the ``--task-timing-html`` page: the line to show, and whether in red."""


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the ``--task-timing-html`` report of the file, with this session's rows in it."""
    config = session.config
    out = config.getoption("task_timing_html")
    settings = config.stash.get(SETTINGS_KEY, None)
    if not out or settings is None or is_worker(config):
        return
    from pytest_tasktiming.reports.html import write_html_report
    from pytest_tasktiming.writer import flush_all

    path = config.invocation_params.dir / out
    try:
        flush_all()
        if not os.path.exists(settings.path):
            raise FileNotFoundError("no test ran, so there is nothing to show")
        write_html_report(settings.path, path)
        config.stash[HTML_MESSAGE_KEY] = (f"task timing: HTML report -> {path}", False)
    except (OSError, ValueError) as error:  # the run's outcome stands; say why there is no page
        message = f"task timing: could not write the HTML report {path}: {error}"
        config.stash[HTML_MESSAGE_KEY] = (message, True)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the page went, after the progress line has ended (not glued to it)."""
    shown = terminalreporter.config.stash.get(HTML_MESSAGE_KEY, None)
    if shown is not None:
        message, red = shown
        terminalreporter.write_line(message, red=red)


def _use_history(config: pytest.Config, options: HistorySettings) -> None:
    """Register what uses the history; imported only by a session that uses it."""
    from pytest_tasktiming.plugin.history import HistoryPlugin

    plugin = HistoryPlugin(config, options)
    config.pluginmanager.register(plugin, "tasktiming-history")
    if options.auto_timeout is not None:
        from pytest_tasktiming.plugin.auto_timeouts import AutoTimeouts

        auto = AutoTimeouts(plugin, options.auto_timeout)
        config.pluginmanager.register(auto, "tasktiming-auto-timeouts")


def _point_environment_at(config: pytest.Config, path: str) -> None:
    """Make ``@timed_task``/``timed`` code inside the tests write to the session's file."""
    old = os.environ.get(ENV_FILE)
    os.environ[ENV_FILE] = path

    def restore() -> None:
        if old is None:
            os.environ.pop(ENV_FILE, None)
        else:
            os.environ[ENV_FILE] = old

    config.add_cleanup(restore)
