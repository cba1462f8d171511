"""``python -m pytest_tasktiming``: the same command line as ``tasktiming``."""

from __future__ import annotations

from pytest_tasktiming.cli import main

raise SystemExit(main())
