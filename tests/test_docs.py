"""Every ```python block in docs/*.md and README.md runs, so the documentation cannot rot.

Blocks of one page run in order in one fresh interpreter (later blocks may use earlier ones),
in an empty directory with ``TASK_TIMING_FILE`` pointing there. ```python no-run opts out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from processes import run_captured

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "page",
    [pytest.param(page, id=page.name) for page in PAGES if python_blocks(page)],
)
def test_every_python_example_in_the_page_runs(page: Path, tmp_path: Path) -> None:
    program = "\n\n".join(python_blocks(page))
    tsv = str(tmp_path / "task_timing.tsv")
    result = run_captured([sys.executable, "-c", program], cwd=tmp_path, TASK_TIMING_FILE=tsv)
    assert result.returncode == 0, f"{page.name} examples failed:\n{result.stderr}"
