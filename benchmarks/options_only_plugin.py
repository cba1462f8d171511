"""The floor for a plugin that is installed but not enabled: it declares our options, no more.

Loaded by ``startup.py`` as ``-p options_only_plugin``: what any plugin with this many options
costs a session at start-up, to hold ``pytest_tasktiming.plugin`` against when it is off. It
runs our ``options.py`` from its file, so none of the plugin package's other modules load.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import pytest_tasktiming

_OPTIONS = Path(pytest_tasktiming.__file__).parent / "plugin" / "options.py"
_spec = importlib.util.spec_from_file_location("options_only", _OPTIONS)
assert _spec is not None and _spec.loader is not None
options = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(options)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)
