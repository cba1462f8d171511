"""``--task-timing-order slowest-first`` in one process: longest first, fixture scopes kept.

As pytest-randomly does when it shuffles, the order moves whole collectors: the children of
each directory, package, module and class go longest total first, each kept together, so no
package-, module- or class-scoped fixture is set up more often than in collection order.
Where pytest itself grouped tests by a higher-scoped parametrized fixture (a collector's tests
then come in more than one stretch, or tests differ in such a parameter) those stretches keep
their order, and only what lies within each is sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _pytest.nodes import Node


def slowest_first(items: Sequence[pytest.Item], seconds: Sequence[float]) -> list[pytest.Item]:
    """``items`` reordered longest first (``seconds[i]`` is the predicted time of ``items[i]``)."""
    chains = [item.listchain() for item in items]
    keys = [_scoped_params(item) for item in items]
    return [items[index] for index in _order(list(range(len(items))), 1, chains, keys, seconds)]


def _order(
    indices: list[int],
    depth: int,
    chains: Sequence[list[Node]],
    keys: Sequence[tuple[tuple[str, object], ...]],
    seconds: Sequence[float],
) -> list[int]:
    """The tests at ``indices`` (all under one collector at ``depth - 1``), reordered."""
    runs: list[tuple[Node, list[int]]] = []  # consecutive tests under the same child
    for index in indices:
        child = chains[index][depth]
        if runs and runs[-1][0] is child:
            runs[-1][1].append(index)
        else:
            runs.append((child, [index]))
    ordered = [
        (
            child,
            _order(run, depth + 1, chains, keys, seconds)
            if len(chains[run[0]]) > depth + 1
            else run,
        )
        for child, run in runs
    ]
    if len({id(child) for child, _ in runs}) == len(runs):  # each child in one stretch
        ordered = _sorted_within_stretches(ordered, keys, seconds)
    return [index for _, run in ordered for index in run]


def _sorted_within_stretches(
    runs: list[tuple[Node, list[int]]],
    keys: Sequence[tuple[tuple[str, object], ...]],
    seconds: Sequence[float],
) -> list[tuple[Node, list[int]]]:
    """Runs sorted by total, longest first, within stretches of equal scoped parameters."""
    result: list[tuple[Node, list[int]]] = []
    stretch: list[tuple[Node, list[int]]] = []
    signature: frozenset[tuple[tuple[str, object], ...]] | None = None
    for run in runs:
        own = frozenset(keys[index] for index in run[1])
        if own != signature and stretch:
            result += sorted(stretch, key=lambda r: -sum(seconds[i] for i in r[1]))
            stretch = []
        signature = own
        stretch.append(run)
    result += sorted(stretch, key=lambda r: -sum(seconds[i] for i in r[1]))
    return result


def _scoped_params(item: pytest.Item) -> tuple[tuple[str, object], ...]:
    """The item's parameters of fixtures scoped above the function: pytest groups tests by
    them, and a test moved away from its group sets such a fixture up once more."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return ()
    # pytest keeps each parameter's scope in CallSpec2._arg2scope (7.0 on); without it, count
    # every parameter as scoped, which only sorts less.
    scopes: dict[str, object] = getattr(callspec, "_arg2scope", {})
    indices: dict[str, object] = callspec.indices
    return tuple(
        (name, index)
        for name, index in sorted(indices.items())
        if str(getattr(scopes.get(name), "value", "")) != "function"
    )
