"""Marks the whole ``pytest_tasktiming`` package for pytest's assertion rewriting.

pytest does this for a plugin installed from a wheel (its files name the package), so every
module of ours that a session imports goes through pytest's import hook, at about a million
instructions a module; an editable install or a plain ``-p`` marks only the plugin module.
Loaded first (``-p as_installed``) by every configuration of ``startup.py``.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("pytest_tasktiming")
