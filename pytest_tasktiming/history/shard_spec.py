"""Which shard this run is: ``K/N`` as written, or from the CI's parallel-job variables."""

from __future__ import annotations

from collections.abc import Mapping

CI_VARIABLES = (
    # (index variable, total variable, first index, CI)
    ("CI_NODE_INDEX", "CI_NODE_TOTAL", 1, "GitLab"),
    ("CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0, "CircleCI"),
    ("BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0, "Buildkite"),
)


def parse_shard(text: str, source: str) -> tuple[int, int]:
    """``"K/N"`` as ``(K, N)`` with ``1 <= K <= N``; ValueError names the text and its source."""
    index, slash, total = text.strip().partition("/")
    if slash and index.strip().isdigit() and total.strip().isdigit():
        k, n = int(index), int(total)
        if 1 <= k <= n:
            return k, n
    raise ValueError(
        f"invalid shard {text!r} from {source}: expected K/N with 1 <= K <= N "
        "(e.g. 2/4, the second of four), or auto"
    )


def shard_from_env(env: Mapping[str, str]) -> tuple[int, int, str] | None:
    """``(K, N, where from)`` from the first CI whose variables are set, None if none is.

    ValueError when the variables are there but not a shard, naming them.
    """
    for index_name, total_name, first, ci in CI_VARIABLES:
        index, total = env.get(index_name), env.get(total_name)
        if index is None and total is None:
            continue
        source = f"{ci}'s {index_name}={index!r} and {total_name}={total!r}"
        if index is None or total is None or not index.isdigit():
            raise ValueError(
                f"invalid shard from {source}: expected both set, the index a whole number"
            )
        k, n = parse_shard(f"{int(index) - first + 1}/{total}", source)
        return k, n, f"{ci} {index_name}={index}, {total_name}={total}"
    return None
