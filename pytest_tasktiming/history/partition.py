"""Splitting units of work (tests, or whole scopes) into shards of even predicted time.

Longest processing time first (each unit, longest first, to the shard with the least so far),
then a local search that moves or swaps units between the fullest and the emptiest shard
while that lowers the fullest. The result depends only on the units and their weights: ties
go by key and by shard number, so every machine computes the same partition.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Mapping

MAX_ROUNDS = 1000
"""Bound on the local search's improving steps (each lowers the fullest pair strictly)."""
RESOLUTION = 1e-6
"""Seconds below which shards count as even: the file's own resolution."""
CLOSE_ENOUGH = 1e-9
"""A fullest shard within this fraction of the lower bound is not worth a search."""


def partition(weights: Mapping[str, float], shards: int) -> list[list[str]]:
    """The keys of ``weights`` in ``shards`` lists whose weight sums are as even as they allow.

    Each list is in descending weight order (ties by key).
    """
    if shards < 1:
        raise ValueError(f"invalid number of shards {shards!r}: expected >= 1")
    order = sorted(weights, key=lambda key: (-weights[key], key))
    bins: list[list[str]] = [[] for _ in range(shards)]
    heap = [(0.0, number) for number in range(shards)]
    for key in order:
        load, number = heapq.heappop(heap)
        bins[number].append(key)
        heapq.heappush(heap, (load + weights[key], number))
    _improve(bins, weights)
    for keys in bins:
        keys.sort(key=lambda key: (-weights[key], key))
    return bins


def loads(bins: list[list[str]], weights: Mapping[str, float]) -> list[float]:
    """Each shard's predicted time: the exact sum of its weights."""
    return [math.fsum(weights[key] for key in keys) for keys in bins]


def lower_bound(weights: Mapping[str, float], shards: int) -> float:
    """No partition's fullest shard is below this: max(total / shards, largest unit)."""
    return max(math.fsum(weights.values()) / shards, max(weights.values(), default=0.0))


def _improve(bins: list[list[str]], weights: Mapping[str, float]) -> None:
    """Move or swap units between the fullest and the emptiest shard while that helps."""
    if len(bins) < 2:
        return
    sums = loads(bins, weights)
    bound = lower_bound(weights, len(bins))
    for _ in range(MAX_ROUNDS):
        high = max(range(len(bins)), key=lambda number: (sums[number], -number))
        low = min(range(len(bins)), key=lambda number: (sums[number], number))
        gap = sums[high] - sums[low]
        if gap <= RESOLUTION or sums[high] - bound <= max(RESOLUTION, bound * CLOSE_ENOUGH):
            return  # even to the file's resolution, or as good as any partition can be
        step = _best_step(bins[high], bins[low], weights, gap)
        if step is None:
            return
        give, take = step
        bins[high].remove(give)
        bins[low].append(give)
        delta = weights[give]
        if take is not None:
            bins[low].remove(take)
            bins[high].append(take)
            delta -= weights[take]
        sums[high] -= delta
        sums[low] += delta


def _best_step(
    high: list[str], low: list[str], weights: Mapping[str, float], gap: float
) -> tuple[str, str | None] | None:
    """The move (``give``, None) or swap (``give``, ``take``) whose weight change is closest to
    half the gap, if any lowers the fuller of the two shards; deterministic on ties."""
    target = gap / 2
    best: tuple[float, str, str] | None = None  # (distance from target, give, take or "")
    taken = sorted(low, key=lambda key: (weights[key], key))
    taken_weights = [weights[key] for key in taken]
    for give in sorted(high):
        weight = weights[give]
        candidates: list[tuple[float, str]] = [(weight, "")]
        # A swap changes the sums by weight - w(take): look near weight - target.
        at = bisect.bisect_left(taken_weights, weight - target)
        for index in (at - 1, at):
            if 0 <= index < len(taken):
                candidates.append((weight - taken_weights[index], taken[index]))
        for delta, take in candidates:
            if 0 < delta < gap:
                choice = (abs(delta - target), give, take)
                if best is None or choice < best:
                    best = choice
    if best is None:
        return None
    return best[1], best[2] or None
