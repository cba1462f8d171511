"""Names imported on first use (PEP 562): a package loads a module only when asked for it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def names_on_first_use(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A PEP 562 ``__getattr__`` for ``package``: each name of ``homes`` is imported from its
    module (absolute, or relative to ``package``) when first asked for, then kept there.

    The packages that hand out names lazily (``records``, ``timeout``, ``companion``) share it.
    """

    def lookup(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    return lookup
