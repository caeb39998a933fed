"""The comparison library's pieces: the protocol's step arithmetic, learning-rate selection on dev loss, and the
registry it runs."""

from __future__ import annotations

import math

import pytest

from tasks.comparison.protocol import (
    COPY_BASELINE,
    DEFAULT_METHODS,
    GRAPH_TWINS,
    LEARNING_RATE_GRIDS,
    REPORT_ORDER,
    RETRIEVAL_BASELINE,
    Protocol,
    seeds_for,
)
from tasks.comparison.selection import best_point, learning_rate_grid, next_rate
from transducer.methods import method_names


def test_every_method_has_a_row_in_the_report_order_and_a_registered_config() -> None:
    assert sorted(REPORT_ORDER) == sorted({COPY_BASELINE, RETRIEVAL_BASELINE, *LEARNING_RATE_GRIDS})  # none left out of the report
    assert set(DEFAULT_METHODS) < set(LEARNING_RATE_GRIDS)
    assert set(LEARNING_RATE_GRIDS) | set(GRAPH_TWINS.values()) <= set(method_names())  # one registry


def test_protocol_steps_follow_the_final_run() -> None:
    protocol = Protocol(epochs=2, batch_size=16, selection_fraction=0.25, evaluations_per_epoch=4)
    assert protocol.steps_per_epoch(10039) == 628 and protocol.final_steps(10039) == 1256
    assert protocol.selection_steps(10039) == 314 and protocol.evaluation_interval(10039) == 157
    assert protocol.warmup_steps(1256) == 63 and protocol.warmup_steps(314) == 16  # the same shape: 5% warm-up
    assert seeds_for("transducer", protocol) == (0, 1, 2) and seeds_for("no_finetune", protocol) == (0,)
    with pytest.raises(ValueError, match="seeds"):
        Protocol(seeds=(1, 1))


def test_the_grid_chooses_the_lowest_dev_loss_and_grows_past_an_edge() -> None:
    assert [next_rate(r, up=True) for r in (1e-4, 3e-4, 3e-3)] == [3e-4, 1e-3, 1e-2]
    assert [next_rate(r, up=False) for r in (1e-3, 3e-3)] == [3e-4, 1e-3]
    scored = []

    def score(rate: float) -> dict:  # dev loss lowest at 1e-2
        scored.append(rate)
        return {"learning_rate": rate, "dev_loss": 2 + abs(math.log10(rate) + 2)}

    points = learning_rate_grid((3e-4, 1e-3, 3e-3), score, extensions=2)
    assert [p["learning_rate"] for p in points] == [3e-4, 1e-3, 3e-3, 1e-2, 3e-2]  # 1e-2 is now inside
    assert best_point(points)["learning_rate"] == 1e-2
    assert len(learning_rate_grid((3e-4, 1e-3, 3e-3), score, extensions=0)) == 3


def test_a_diverged_rate_is_never_chosen_and_ties_go_to_the_smaller_rate() -> None:
    points = [{"learning_rate": 1e-3, "dev_loss": 2.5}, {"learning_rate": 3e-3, "dev_loss": float("nan")},
              {"learning_rate": 3e-4, "dev_loss": 2.5}]
    assert best_point(points)["learning_rate"] == 3e-4
    assert best_point([]) is None


def test_a_graph_twin_of_another_design_is_not_called_a_graph_ablation() -> None:
    from tasks.comparison.report import _same_design

    assert _same_design("transducer_fusion", "transducer_no_graph")  # the fusion with zero graph features
    assert _same_design("transducer", "transducer (shuffled graphs)")
    assert not _same_design("transducer", "transducer_no_graph")  # soft tokens vs the graph-free fusion
    assert not _same_design("transducer_prefix", "transducer_no_graph")


def test_a_test_with_no_difference_in_any_resample_says_nothing_rather_than_no_difference() -> None:
    from tasks.comparison.report import verdict
    from tasks.comparison.task_setups import TASKS

    tests = {"transducer − transducer_no_graph (EM)": {"difference": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_holm": 1.0},
             "transducer − transducer_no_graph (chrF)": {"difference": -0.3, "ci_low": -0.9, "ci_high": 0.4,
                                                         "p_holm": 1.0}}
    em, chrf = verdict(TASKS["assert_generation"], {}, {}, tests, {})
    assert "the test says nothing" in em and "no significant difference" not in em
    assert chrf.endswith("no significant difference.")
