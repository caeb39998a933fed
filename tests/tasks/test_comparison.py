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


def _assert_rows() -> tuple[dict, list[dict]]:
    from tasks.comparison.report import Row

    references = [{"id": str(i), "target": f"assertEquals ( {i} , list . size ( ) )"} for i in range(30)]
    close = {r["id"]: f"assertEquals ( {int(r['id']) + 1} , list . size ( ) )" for r in references}  # never exact
    junk = {r["id"]: "( ( ( ( ( (" for r in references}
    return ({"transducer": Row("transducer", [{"trainable_parameters": 119_616, "metrics": {}}], [junk], None),
             "prefix_tuning": Row("prefix_tuning", [{"trainable_parameters": 20_480, "metrics": {}}], [close], None)}, references)


def test_assert_generation_also_tests_bleu_4_where_no_row_reaches_an_exact_match() -> None:
    from tasks.comparison.report import main_table, significance, verdict
    from tasks.comparison.task_setups import TASKS

    task = TASKS["assert_generation"]
    rows, references = _assert_rows()
    tests, _ = significance(task, rows, references)
    assert set(tests) == {"EM", "BLEU-4"} and tests["EM"]["prefix_tuning"]["difference"] == 0
    bleu = tests["BLEU-4"]["prefix_tuning"]
    assert bleu["difference"] < -50 and bleu["ci_high"] < 0 and bleu["p_holm"] < 0.05  # Holm over both scores
    header = main_table(task, rows, tests).splitlines()[0]
    assert "transducer − method (EM) [95% CI]" in header and "transducer − method (BLEU-4) [95% CI]" in header
    em, bleu_line, losses = verdict(task, rows, tests, {}, {})
    assert "cannot be told from it on EM" in em and em.endswith("see the next line.")
    assert "BLEU-4" in bleu_line and bleu_line.endswith("the transducer loses to it.")
    assert losses.startswith("- **Where the transducer loses**") and "BLEU-4" in losses


def test_a_task_without_a_second_score_tests_its_official_one_only() -> None:
    from tasks.comparison.report import significance
    from tasks.comparison.task_setups import TASKS

    rows, references = _assert_rows()
    assert set(significance(TASKS["code_summarization"], rows, references)[0]) == {"BLEU-4"}


def test_the_oracle_stop_table_separates_what_a_row_writes_from_where_it_stops() -> None:
    from tasks.comparison.report import Row, cut_at_reference_length, oracle_stop_table
    from tasks.comparison.task_setups import TASKS

    references = [{"id": str(i), "target": f"returns the size of list {i}"} for i in range(20)]
    run_on = {r["id"]: f"{r['target']} {r['target']} {r['target']}" for r in references}  # right, then goes on
    assert cut_at_reference_length(run_on, references) == {r["id"]: r["target"] for r in references}
    rows = {"transducer": Row("transducer", [{"metrics": {"bleu": 30.0, "length_ratio": 3.0}}], [run_on], None)}
    line = oracle_stop_table(TASKS["code_summarization"], rows, references).splitlines()[-1]
    assert [c.strip() for c in line.strip("|").split("|")] == ["transducer", "3.00", "30.00", "100.00"]
