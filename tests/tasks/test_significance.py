import numpy as np
import pytest

from tasks.metrics import MetricsResult, write_predictions
from tasks.significance import approximate_randomization, paired_bootstrap, paired_scores_from_files

TESTS = [paired_bootstrap, approximate_randomization]


def scores(seed: int, n: int = 200) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 100, size=n)


@pytest.mark.parametrize("test", TESTS)
def test_identical_scores_are_not_significant(test):
    b = scores(1)
    result = test(b.tolist(), b.tolist())
    assert result.p_value == 1.0
    assert result.mean_difference == 0.0
    assert not result.significant()
    if test is paired_bootstrap:
        assert (result.ci_low, result.ci_high) == (0.0, 0.0)


@pytest.mark.parametrize("test", TESTS)
def test_clearly_shifted_scores_are_significant(test):
    b = scores(2)
    a = b + 5.0 + np.random.default_rng(3).normal(0, 10, size=b.size)
    result = test(a, b, num_resamples=1000, seed=0)
    assert result.mean_difference == pytest.approx(float((a - b).mean()))
    assert result.mean_a == pytest.approx(float(a.mean())) and result.mean_b == pytest.approx(float(b.mean()))
    assert result.p_value < 0.05 and result.significant()
    assert result.num_instances == 200 and result.num_resamples == 1000
    if test is paired_bootstrap:
        assert 0.0 < result.ci_low < result.mean_difference < result.ci_high


@pytest.mark.parametrize("test", TESTS)
def test_unrelated_noise_is_not_significant(test):
    b = scores(4)
    noise = np.random.default_rng(5).normal(0, 10, size=b.size)
    a = b + noise - noise.mean()  # zero mean difference, large per-instance differences
    result = test(a, b, seed=0)
    assert result.mean_difference == pytest.approx(0.0, abs=1e-9)
    assert result.p_value > 0.5


@pytest.mark.parametrize("test", TESTS)
def test_deterministic_for_a_seed_and_symmetric(test):
    a, b = scores(6), scores(7)
    first = test(a, b, seed=123)
    assert test(a, b, seed=123) == first
    swapped = test(b, a, seed=123)
    assert swapped.mean_difference == pytest.approx(-first.mean_difference)
    assert swapped.p_value == pytest.approx(first.p_value)


def test_bootstrap_interval_and_constant_difference():
    b = scores(8)
    result = paired_bootstrap(b + 2.0, b, num_resamples=500)
    assert result.ci_low == pytest.approx(2.0) and result.ci_high == pytest.approx(2.0)
    assert result.p_value == pytest.approx(1 / 501)  # smallest p-value 500 resamples can give
    a = b + np.random.default_rng(9).normal(1.0, 5.0, size=b.size)
    narrow = paired_bootstrap(a, b, confidence=0.5, seed=1)
    wide = paired_bootstrap(a, b, confidence=0.99, seed=1)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert paired_bootstrap(a, b, seed=1).ci_low != paired_bootstrap(a, b, seed=2).ci_low


def test_input_errors():
    with pytest.raises(ValueError, match="equal length"):
        paired_bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="both lists are empty"):
        approximate_randomization([], [])
    with pytest.raises(ValueError, match="finite"):
        paired_bootstrap([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1.0], [2.0], confidence=1.0)
    with pytest.raises(ValueError, match="num_resamples"):
        approximate_randomization([1.0], [2.0], num_resamples=0)


def _write_scores(out_dir, ids, bleu_values):
    records = [{"id": i, "prediction": "p", "reference": "r"} for i in ids]
    result = MetricsResult(len(ids), {"bleu": 0.0}, [{"bleu": v} for v in bleu_values])
    return write_predictions(out_dir, "test", records, result)[0]


def test_paired_scores_from_prediction_files_pair_by_id(tmp_path):
    a = _write_scores(tmp_path / "a", ["0", "1", "2"], [10.0, 20.0, 30.0])
    b = _write_scores(tmp_path / "b", ["2", "0", "1"], [3.0, 1.0, 2.0])
    assert paired_scores_from_files(a, b, "bleu") == ([10.0, 20.0, 30.0], [1.0, 2.0, 3.0])
    c = _write_scores(tmp_path / "c", ["0", "1"], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"cover different examples: 1 ids only in .*\.jsonl \(e\.g\. \['2'\]\)"):
        paired_scores_from_files(a, c, "bleu")


def test_command_line_compares_two_runs(tmp_path, capsys):
    import json

    from tasks.significance import main

    a = _write_scores(tmp_path / "a", [str(i) for i in range(50)], [50.0 + i % 7 for i in range(50)])
    b = _write_scores(tmp_path / "b", [str(i) for i in range(50)], [40.0 + i % 5 for i in range(50)])
    main([str(a), str(b), "--metric", "bleu", "--resamples", "200"])
    report = json.loads(capsys.readouterr().out)
    assert [test["method"] for test in report["tests"]] == ["paired_bootstrap", "approximate_randomization"]
    assert all(test["p_value"] < 0.05 and test["mean_difference"] > 0 for test in report["tests"])


def test_corpus_bootstrap_recomputes_the_corpus_score_on_resamples():
    from tasks.metrics.corpus_bleu import bleu_from_statistics, bleu_statistics
    from tasks.significance import paired_bootstrap_corpus

    references = [f"public int F{i} ( int a ) {{ return a + {i} ; }}" for i in range(40)]
    good = [r if i % 4 else r.replace("return", "yield") for i, r in enumerate(references)]
    bad = [r.split("{")[0] for r in references]
    stats = lambda predictions: np.stack([bleu_statistics(p, r) for p, r in zip(predictions, references)])  # noqa: E731
    result = paired_bootstrap_corpus(stats(good), stats(bad), bleu_from_statistics, num_resamples=500, seed=1)
    assert result.mean_a == pytest.approx(float(bleu_from_statistics(stats(good).sum(axis=0))))
    assert result.mean_difference > 30 and result.ci_low > 0 and result.p_value < 0.01
    same = paired_bootstrap_corpus(stats(good), stats(good), bleu_from_statistics, num_resamples=200)
    assert same.mean_difference == 0 and same.p_value == 1.0
    again = paired_bootstrap_corpus(stats(good), stats(bad), bleu_from_statistics, num_resamples=500, seed=1)
    assert again == result  # seeded: reproducible


def test_holm_bonferroni_hand_computed():
    from tasks.significance import holm_bonferroni

    adjusted = holm_bonferroni({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5})
    # sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1 -> 0.04, 0.09, 0.08 -> monotone 0.09, 0.5
    assert adjusted == pytest.approx({"a": 0.04, "c": 0.09, "b": 0.09, "d": 0.5})
    assert holm_bonferroni({"x": 0.9, "y": 0.8}) == pytest.approx({"y": 1.0, "x": 1.0})


def test_bootstrap_over_seeds_with_one_seed_is_the_paired_corpus_bootstrap() -> None:
    from tasks.metrics.corpus_bleu import bleu_from_statistics, bleu_statistics
    from tasks.significance import bootstrap_over_seeds, paired_bootstrap_corpus

    references = [f"int f{i} ( ) {{ return {i} ; }}" for i in range(40)]
    ours = np.stack([bleu_statistics(r if i % 3 else r + " x", r) for i, r in enumerate(references)])
    theirs = np.stack([bleu_statistics(r.replace("return", "ret"), r) for r in references])
    one_seed = bootstrap_over_seeds(ours[None], theirs[None], bleu_from_statistics, num_resamples=500, seed=3)
    paired = paired_bootstrap_corpus(ours, theirs, bleu_from_statistics, num_resamples=500, seed=3)
    assert one_seed.mean_difference == pytest.approx(paired.mean_difference)
    assert one_seed.p_value <= 0.01 and paired.p_value <= 0.01
    assert one_seed.ci_low == pytest.approx(paired.ci_low, abs=1.0) and one_seed.ci_high == pytest.approx(paired.ci_high, abs=1.0)


def test_bootstrap_over_seeds_widens_with_seed_variance() -> None:
    """Two systems equal on average but whose seeds disagree: the interval must cover the seed spread, so it is
    wider than with identical seeds, and the difference is not significant."""
    from tasks.significance import bootstrap_over_seeds

    def mean_score(summed: np.ndarray) -> np.ndarray:  # statistics (correct, total) -> accuracy
        return 100 * summed[..., 0] / summed[..., 1]

    rng = np.random.default_rng(0)
    correct = rng.random((1, 300)) < 0.5
    stable = np.stack([np.stack([correct[0], np.ones(300)], axis=-1)] * 3).astype(float)  # (3, 300, 2)
    noisy = stable.copy()
    for s, shift in enumerate((-40, 0, 40)):  # seed s gets |shift| more (or fewer) examples right
        flips = np.flatnonzero(noisy[s, :, 0] == (0 if shift > 0 else 1))[: abs(shift)]
        noisy[s, flips, 0] = 1 - noisy[s, flips, 0]
    steady = stable.copy()  # differs from `stable` on more examples (80) than any noisy seed (40), in every seed alike
    steady[:, np.flatnonzero(correct[0])[:40], 0] = 0
    steady[:, np.flatnonzero(~correct[0])[:40], 0] = 1
    calm = bootstrap_over_seeds(steady, stable, mean_score, num_resamples=1000)
    spread = bootstrap_over_seeds(noisy, stable, mean_score, num_resamples=1000)
    assert calm.mean_difference == pytest.approx(0, abs=1e-9) and spread.mean_difference == pytest.approx(0, abs=1e-9)
    assert spread.ci_high - spread.ci_low > 2 * (calm.ci_high - calm.ci_low) > 0
    assert spread.p_value > 0.3
