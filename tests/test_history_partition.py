"""Shards of even predicted time, and which shard a run is."""

from __future__ import annotations

import random

import pytest

from pytest_tasktiming.history.partition import loads, lower_bound, partition
from pytest_tasktiming.history.shard_spec import parse_shard, shard_from_env


def lognormal(count: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    return {f"test_{n:05d}": round(rng.lognormvariate(-2.0, 1.5), 6) for n in range(count)}


@pytest.mark.parametrize("shards", [1, 2, 3, 5, 8])
def test_every_unit_is_in_exactly_one_shard(shards: int) -> None:
    weights = lognormal(500, seed=shards)
    bins = partition(weights, shards)
    assert len(bins) == shards
    assert sorted(key for keys in bins for key in keys) == sorted(weights)


@pytest.mark.parametrize("shards", [2, 4, 8])
def test_the_fullest_shard_is_within_two_percent_of_the_bound(shards: int) -> None:
    weights = lognormal(5000, seed=7)
    fullest = max(loads(partition(weights, shards), weights))
    assert fullest <= lower_bound(weights, shards) * 1.02


def test_it_beats_longest_first_where_that_is_not_optimal() -> None:
    # Longest first puts 3+2+2 against 3+2; moving or swapping gives 3+3 against 2+2+2.
    weights = {"a": 3.0, "b": 3.0, "c": 2.0, "d": 2.0, "e": 2.0}
    assert sorted(loads(partition(weights, 2), weights)) == [6.0, 6.0]


def test_the_partition_depends_only_on_the_units_and_their_weights() -> None:
    weights = lognormal(300, seed=3)
    shuffled = dict(sorted(weights.items(), key=lambda item: random.Random(1).random()))
    assert partition(weights, 4) == partition(shuffled, 4)


def test_equal_weights_go_by_key() -> None:
    weights = dict.fromkeys(["d", "b", "a", "c"], 1.0)
    assert partition(weights, 2) == [["a", "c"], ["b", "d"]]


def test_a_unit_larger_than_the_rest_gets_a_shard_of_its_own() -> None:
    weights = {"huge": 100.0, **{f"t{n}": 1.0 for n in range(10)}}
    bins = partition(weights, 2)
    assert ["huge"] in bins
    assert max(loads(bins, weights)) == lower_bound(weights, 2) == 100.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param("1/1", (1, 1), id="one"), pytest.param(" 3/4 ", (3, 4), id="spaces")],
)
def test_a_shard_is_k_of_n(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text, "the test") == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "-1/2", "2/0", ""])
def test_a_bad_shard_names_the_value_and_the_source(text: str) -> None:
    with pytest.raises(ValueError, match=rf"invalid shard '{text}' from the test: expected K/N"):
        parse_shard(text, "the test")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"}, (2, 4), id="gitlab-1-based"),
        pytest.param(
            {"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "3"}, (1, 3), id="circleci-0-based"
        ),
        pytest.param(
            {"BUILDKITE_PARALLEL_JOB": "4", "BUILDKITE_PARALLEL_JOB_COUNT": "5"},
            (5, 5),
            id="buildkite-0-based",
        ),
    ],
)
def test_auto_reads_the_ci_variables(env: dict[str, str], expected: tuple[int, int]) -> None:
    found = shard_from_env(env)
    assert found is not None
    assert found[:2] == expected


def test_auto_without_ci_variables_finds_no_shard() -> None:
    assert shard_from_env({"PATH": "/bin"}) is None


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"CI_NODE_INDEX": "1"}, id="total-missing"),
        pytest.param({"CI_NODE_INDEX": "5", "CI_NODE_TOTAL": "4"}, id="beyond"),
        pytest.param({"CIRCLE_NODE_INDEX": "x", "CIRCLE_NODE_TOTAL": "2"}, id="not-a-number"),
    ],
)
def test_bad_ci_variables_are_named(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=next(iter(env))):
        shard_from_env(env)
