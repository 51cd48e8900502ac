"""Attribution models against hand-computed answers and independent reference computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from adledger.analytics.attribution import MODELS, TRANSFORMS, attribute, encode_paths, markov_removal_effects
from adledger.analytics.attribution.markov import build_chain, transition_table
from adledger.analytics.attribution.shapley import shapley_values, subset_sums
from adledger.analytics.attribution.synthetic import synthetic_paths


def table(rows):
    """rows: (path, conversions, nulls, conversion_value)"""
    return pd.DataFrame(rows, columns=["path", "conversions", "nulls", "conversion_value"])


def credits(frame, model, **kwargs):
    result = attribute(frame, model, **kwargs).set_index("channel")
    return result["conversions"].to_dict(), result["conversion_value"].to_dict()


HEURISTIC_PATHS = table(
    [("a > b > c", 2, 0, 20.0), ("b", 1, 0, 5.0), ("c > a", 1, 0, 10.0), ("a > b > b > c", 1, 0, 4.0), ("a", 0, 5, 0.0)]
)


@pytest.mark.parametrize(
    ("model", "conversions", "value"),
    [
        ("first_touch", {"a": 3, "b": 1, "c": 1}, {"a": 24, "b": 5, "c": 10}),
        ("last_touch", {"a": 1, "b": 1, "c": 3}, {"a": 10, "b": 5, "c": 24}),
        # 2/3 each from a > b > c, 1 to b, 1/2 each from c > a, 1/4 per touch of a > b > b > c
        ("linear", {"a": 2 / 3 + 1 / 2 + 1 / 4, "b": 2 / 3 + 1 + 1 / 2, "c": 2 / 3 + 1 / 2 + 1 / 4},
         {"a": 20 / 3 + 5 + 1, "b": 20 / 3 + 5 + 2, "c": 20 / 3 + 5 + 1}),
        # 40/20/40; two-touch paths 50/50; the 20 % middle share split over both b touches of a > b > b > c
        ("position_based", {"a": 0.8 + 0.5 + 0.4, "b": 0.4 + 1 + 0.2, "c": 0.8 + 0.5 + 0.4},
         {"a": 8 + 5 + 1.6, "b": 4 + 5 + 0.8, "c": 8 + 5 + 1.6}),
    ],
)
def test_heuristic_models_hand_computed(model, conversions, value):
    got_conversions, got_value = credits(HEURISTIC_PATHS, model)
    assert got_conversions == pytest.approx(conversions, abs=1e-12)
    assert got_value == pytest.approx(value, abs=1e-12)


# The three-path example of the Markov attribution blog posts (Anderl et al. 2016; analyzecore.com 2016):
# start -> C1 2/3, start -> C2 1/3, C1 -> C2 1/2, C1 -> null 1/2, C2 -> C3 1, C3 -> conversion 1/2, C3 -> null 1/2.
# P(conv) = 2/3 * 1/2 * 1 * 1/2 + 1/3 * 1 * 1/2 = 1/3; without C1 it is 1/3 * 1/2 = 1/6 (removal effect 1/2);
# without C2 or C3 it is 0 (removal effect 1). Normalized: 0.2, 0.4, 0.4.
CLASSIC = table([("C1 > C2 > C3", 1, 0, 100.0), ("C1", 0, 1, 0.0), ("C2 > C3", 0, 1, 0.0)])


def test_markov_classic_example_transition_matrix():
    chain = build_chain(encode_paths(CLASSIC), 1)
    got = {(r.from_state, r.to_state): r.probability for r in transition_table(chain).itertuples()}
    assert got == pytest.approx(
        {
            ("(start)", "C1"): 2 / 3, ("(start)", "C2"): 1 / 3, ("C1", "C2"): 1 / 2, ("C1", "(null)"): 1 / 2,
            ("C2", "C3"): 1.0, ("C3", "(conversion)"): 1 / 2, ("C3", "(null)"): 1 / 2,
        },
        abs=1e-15,
    )


def test_markov_classic_example_removal_effects_and_credits():
    effects = markov_removal_effects(CLASSIC).set_index("channel")
    assert effects["removal_effect"].tolist() == pytest.approx([0.5, 1.0, 1.0], abs=1e-12)
    assert effects["conversion_probability_without"].tolist() == pytest.approx([1 / 6, 0.0, 0.0], abs=1e-12)
    assert effects["conversion_probability"].tolist() == pytest.approx([1 / 3] * 3, abs=1e-12)
    conversions, value = credits(CLASSIC, "markov")
    assert conversions == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4}, abs=1e-12)
    assert value == pytest.approx({"C1": 20.0, "C2": 40.0, "C3": 40.0}, abs=1e-10)


# A > B converts, C > B does not. Order 1 cannot tell the two B visits apart: B -> conversion 1/2, so
# removing A or C halves P(conv) = 1/2 (effects 1/2, 1, 1/2 -> credits 1/4, 1/2, 1/4). Order 2 has the
# states (A,B) -> conversion 1 and (C,B) -> null 1: removing A leaves 0 (effect 1), removing C leaves 1/2
# (effect 0), removing B leaves 0 (effect 1) -> credits 1/2, 1/2, 0.
ORDER_EXAMPLE = table([("A > B", 1, 0, 10.0), ("C > B", 0, 1, 0.0)])


@pytest.mark.parametrize(
    ("order", "effects", "expected"),
    [(1, [0.5, 1.0, 0.5], {"A": 0.25, "B": 0.5, "C": 0.25}), (2, [1.0, 1.0, 0.0], {"A": 0.5, "B": 0.5, "C": 0.0})],
)
def test_markov_order_changes_the_answer_as_computed_by_hand(order, effects, expected):
    assert markov_removal_effects(ORDER_EXAMPLE, order=order)["removal_effect"].tolist() == pytest.approx(effects, abs=1e-12)
    assert credits(ORDER_EXAMPLE, "markov", order=order)[0] == pytest.approx(expected, abs=1e-12)


def reference_conversion_probability(paths, order, removed=None):
    """Independent reference: a dict-built chain solved by value iteration (x <- r + Q x)."""
    counts: dict = {}
    for path, conversions, nulls in paths:
        total = conversions + nulls
        touches = path.split(" > ")
        state = ("start",)
        for i in range(len(touches)):
            following = tuple(touches[max(0, i + 1 - order): i + 1])
            counts.setdefault(state, {}).setdefault(following, 0.0)
            counts[state][following] += total
            state = following
        for end, weight in (("conv", conversions), ("null", nulls)):
            counts.setdefault(state, {}).setdefault(end, 0.0)
            counts[state][end] += weight
    value = {state: 0.0 for state in counts}
    for _ in range(5000):
        for state, targets in counts.items():
            out = sum(targets.values())
            total = 0.0
            for target, weight in targets.items():
                if target == "conv":
                    total += weight
                elif target != "null" and not (removed and removed in target):
                    total += weight * value[target]
            value[state] = total / out
    return value[("start",)]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_matches_independent_value_iteration(order):
    rng = np.random.default_rng(order)
    rows = []
    for _ in range(40):
        path = " > ".join(rng.choice(["a", "b", "c", "d"], size=rng.integers(1, 6)))
        rows.append((path, int(rng.integers(0, 3)), int(rng.integers(0, 4)), 1.0))
    frame = table(rows)
    frame = frame[frame["conversions"] + frame["nulls"] > 0]
    triples = list(frame[["path", "conversions", "nulls"]].itertuples(index=False, name=None))
    effects = markov_removal_effects(frame, order=order).set_index("channel")
    baseline = reference_conversion_probability(triples, order)
    assert effects["conversion_probability"].iloc[0] == pytest.approx(baseline, abs=1e-9)
    for channel in effects.index:
        without = reference_conversion_probability(triples, order, removed=channel)
        assert effects.loc[channel, "conversion_probability_without"] == pytest.approx(without, abs=1e-9)


def test_markov_iterative_solution_equals_the_direct_solve():
    chain = build_chain(encode_paths(synthetic_paths(5000, channels=6, seed=8)), 3)
    scenarios = np.concatenate([np.zeros((chain.n_transient, 1), dtype=bool), chain.state_channels], axis=1)
    assert chain.n_transient > 100
    np.testing.assert_allclose(chain.solve_iteratively(scenarios), chain.solve_directly(scenarios), rtol=0, atol=1e-13)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_markov_conversion_probability_equals_observed_rate(order):
    paths = synthetic_paths(3000, channels=6, seed=order)
    effects = markov_removal_effects(paths, order=order)
    conversions = np.asarray(paths.column("conversions")).sum()
    assert effects["conversion_probability"].iloc[0] == pytest.approx(conversions / paths.num_rows, abs=1e-12)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("model", MODELS)
def test_credits_sum_to_total_conversions_and_value(model, transform):
    paths = synthetic_paths(2000, channels=7, seed=11)
    result = attribute(paths, model, transform=transform, order=2)
    assert list(result["channel"]) == [f"ch{c:02d}" for c in range(7)]
    assert result["conversions"].sum() == pytest.approx(np.asarray(paths.column("conversions")).sum(), rel=1e-12)
    assert result["conversion_value"].sum() == pytest.approx(np.asarray(paths.column("conversion_value")).sum(), rel=1e-12)
    assert (result["conversions"] >= 0).all()


def test_markov_agrees_with_the_channelattribution_package():
    ca = pytest.importorskip("ChannelAttribution")
    paths = synthetic_paths(20000, channels=5, seed=3).to_pandas()
    ours = attribute(paths, "markov").set_index("channel")["conversions"]
    theirs = ca.markov_model(paths, "path", "conversions", var_null="nulls", sep=">", verbose=False, flg_pro=False)
    theirs = theirs.set_index("channel_name")["total_conversions"]
    shares = (ours / ours.sum()) - (theirs / theirs.sum()).reindex(ours.index)
    assert shares.abs().max() < 0.01  # theirs is a simulation estimate of the same quantity


# Simplified Shapley (fractribution). P(conv | path): a > b 3/4, a 1/4, b 1/2, c > a 1/2, b > b 1, d > b 1/10, d 1/2.
# a > b: a gets 3/4 - 1/2 = 1/4, b gets 3/4 - 1/4 = 1/2 -> 1/3, 2/3 of 3 conversions.
# c > a: c gets 1/2 - 1/4 = 1/4, a gets 1/2 - 0 (c alone never observed) = 1/2 -> 1/3, 2/3.
# b > b: both touches 1 - 1/2 -> 1/2 each, all to b. d > b: both marginals are floored to 0 -> last touch b.
SHAPLEY_PATHS = table(
    [("a > b", 3, 1, 30.0), ("a", 1, 3, 10.0), ("b", 1, 1, 10.0), ("c > a", 1, 1, 30.0), ("b > a", 0, 2, 0.0),
     ("b > b", 1, 0, 10.0), ("d > b", 1, 9, 10.0), ("d", 1, 1, 10.0)]
)


def test_simplified_shapley_hand_computed():
    conversions, value = credits(SHAPLEY_PATHS, "shapley")
    assert conversions == pytest.approx({"a": 1 + 1 + 2 / 3, "b": 2 + 1 + 1 + 1, "c": 1 / 3, "d": 1.0}, abs=1e-12)
    assert value == pytest.approx({"a": 10 + 10 + 20, "b": 20 + 10 + 10 + 10, "c": 10.0, "d": 10.0}, abs=1e-12)


def test_exact_shapley_hand_computed():
    # channel sets with conversions: {a,b} 3, {a} 1, {b} 2, {a,c} 1, {b,d} 1, {d} 1; each set's conversions
    # split equally over its channels (Zhao et al. 2018, eq. 6)
    conversions, _ = credits(SHAPLEY_PATHS, "shapley_exact")
    assert conversions == pytest.approx({"a": 1.5 + 1 + 0.5, "b": 1.5 + 2 + 0.5, "c": 0.5, "d": 0.5 + 1}, abs=1e-12)


def test_shapley_values_match_permutation_average():
    rng = np.random.default_rng(5)
    worth = rng.random(2**4)
    worth[0] = 0.0
    expected = np.zeros(4)
    for order in itertools.permutations(range(4)):
        mask = 0
        for player in order:
            expected[player] += worth[mask | 1 << player] - worth[mask]
            mask |= 1 << player
    assert shapley_values(worth) == pytest.approx(expected / math.factorial(4), abs=1e-12)


def test_exact_shapley_equals_the_closed_form_on_many_channels():
    paths = synthetic_paths(3000, channels=12, seed=4)
    result = attribute(paths, "shapley_exact").set_index("channel")["conversions"]
    expected = pd.Series(0.0, index=result.index)
    for path, conversions in zip(paths.column("path").to_pylist(), paths.column("conversions").to_pylist()):
        distinct = set(path.split(" > "))
        for channel in distinct:
            expected[channel] += conversions / len(distinct)
    assert result.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)


def test_subset_sums():
    weights = np.array([0.0, 1.0, 2.0, 4.0])  # coalitions {}, {0}, {1}, {0,1}
    assert subset_sums(weights).tolist() == [0.0, 1.0, 2.0, 7.0]


def test_exact_shapley_refuses_too_many_channels():
    frame = table([(" > ".join(f"c{i}" for i in range(21)), 1, 0, 1.0)])
    with pytest.raises(ValueError, match="up to 20 channels"):
        attribute(frame, "shapley_exact")


def test_unknown_model_and_order_are_rejected():
    with pytest.raises(ValueError, match="unknown model"):
        attribute(CLASSIC, "magic")
    with pytest.raises(ValueError, match="order must be between 1 and 4"):
        attribute(CLASSIC, "markov", order=5)
