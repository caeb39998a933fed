"""Paired significance tests of system A against system B on per-instance scores of the same test examples.

Both tests work on the per-instance differences ``d_i = a_i - b_i`` and report the observed mean difference
``mean(d)`` (positive: A scores higher) with a two-sided p-value for "no difference":

- :func:`paired_bootstrap`: resample instances with replacement (Koehn, 2004); the percentile interval of the
  resampled mean differences is the confidence interval, and the p-value comes from the resampled means
  shifted to the null (Efron & Tibshirani, 1993, §16.4): ``(1 + #{|m* - mean(d)| >= |mean(d)|}) / (R + 1)``.
- :func:`approximate_randomization`: swap A's and B's score on each instance with probability 1/2 (Noreen,
  1989; Riezler & Maxwell, 2005): ``(1 + #{|mean(s * d)| >= |mean(d)|}) / (R + 1)``.

The ``+ 1`` terms keep the p-value above zero, as a finite number of resamples warrants. For corpus-level
metrics that are not means of instance scores (sacreBLEU, CodeBLEU) this tests the mean of their
per-instance versions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from typing import TypeVar

import numpy as np

Name = TypeVar("Name")  # what names a test in a family

# Resampled rows drawn per chunk are capped so that rows x instances stays near this many numbers.
_CHUNK_ELEMENTS = 1 << 22
# Relative tolerance when comparing a resampled statistic with the observed one (summation-order noise).
_TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SignificanceResult:
    """Outcome of one paired test; ``ci_low``/``ci_high`` bound ``mean_difference`` (bootstrap only)."""

    method: str
    num_instances: int
    mean_a: float
    mean_b: float
    mean_difference: float
    p_value: float
    ci_low: float | None
    ci_high: float | None
    confidence: float | None
    num_resamples: int
    seed: int

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether the difference is significant at level ``alpha``."""
        return self.p_value < alpha

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def paired_bootstrap(
    scores_a: Sequence[float],
    scores_b: Sequence[float],
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SignificanceResult:
    """Paired bootstrap test of ``mean(a) - mean(b)`` with a percentile confidence interval."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    a, b, differences = _paired_arrays(scores_a, scores_b, num_resamples)
    observed = float(differences.mean())
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [
            differences[rng.integers(0, differences.size, size=(rows, differences.size))].mean(axis=1)
            for rows in _chunks(num_resamples, differences.size)
        ]
    )
    return _bootstrap_result("paired_bootstrap", differences.size, float(a.mean()), float(b.mean()), observed, means,
                             confidence, seed)


def paired_bootstrap_corpus(
    statistics_a: np.ndarray,
    statistics_b: np.ndarray,
    corpus_score: Callable[[np.ndarray], np.ndarray],
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SignificanceResult:
    """Paired bootstrap of a *corpus-level* score that is a function of summed per-instance statistics (corpus
    BLEU): each resample sums the statistics of the drawn instances for A and for B and recomputes both scores.

    Args:
        statistics_a / statistics_b: ``(N, K)`` per-instance sufficient statistics, rows paired.
        corpus_score: ``(..., K)`` summed statistics -> ``(...)`` scores (e.g. ``bleu_from_statistics``).
    """
    a, b = np.asarray(statistics_a, dtype=np.float64), np.asarray(statistics_b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] == 0:
        raise ValueError(f"need two (N, K) statistics arrays of the same shape with N >= 1: {a.shape}, {b.shape}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    score_a, score_b = float(corpus_score(a.sum(axis=0))), float(corpus_score(b.sum(axis=0)))
    observed = score_a - score_b
    rng = np.random.default_rng(seed)
    differences = []
    for rows in _chunks(num_resamples, a.shape[0] * a.shape[1]):
        drawn = rng.integers(0, a.shape[0], size=(rows, a.shape[0]))
        differences.append(corpus_score(a[drawn].sum(axis=1)) - corpus_score(b[drawn].sum(axis=1)))
    return _bootstrap_result("paired_bootstrap_corpus", a.shape[0], score_a, score_b, observed,
                             np.concatenate(differences), confidence, seed)


def bootstrap_over_seeds(
    statistics_a: np.ndarray,
    statistics_b: np.ndarray,
    corpus_score: Callable[[np.ndarray], np.ndarray],
    num_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SignificanceResult:
    """Bootstrap of a corpus-level score averaged over training seeds, A minus B, covering both which examples
    were drawn and which seeds.

    A ran ``S_a`` seeds and B ``S_b`` seeds on the same N examples. Each resample draws N examples with
    replacement (the same for A and B: paired) and, for each system on its own, as many of its seeds as it has,
    with replacement; a system's score is the mean, over its drawn seeds, of the corpus score of the drawn examples'
    summed statistics. With one seed each it is :func:`paired_bootstrap_corpus`.

    Args:
        statistics_a / statistics_b: ``(S, N, K)`` per-seed, per-instance sufficient statistics (rows paired).
        corpus_score: ``(..., K)`` summed statistics -> ``(...)`` scores (e.g. ``bleu_from_statistics``).
    """
    a, b = np.asarray(statistics_a, dtype=np.float64), np.asarray(statistics_b, dtype=np.float64)
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:] or 0 in a.shape or 0 in b.shape:
        raise ValueError(f"need two (S, N, K) statistics arrays with the same N and K, N >= 1: {a.shape}, {b.shape}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    score_a, score_b = float(corpus_score(a.sum(axis=1)).mean()), float(corpus_score(b.sum(axis=1)).mean())
    rng = np.random.default_rng(seed)
    n = a.shape[1]

    def resampled(stats: np.ndarray, counts: np.ndarray) -> np.ndarray:
        scores = corpus_score(np.einsum("rn,snk->srk", counts, stats))  # (S, R): every seed on every resample
        drawn = rng.integers(0, stats.shape[0], size=(counts.shape[0], stats.shape[0]))  # (R, S) seeds drawn
        return scores[drawn, np.arange(counts.shape[0])[:, None]].mean(axis=1)

    differences = []
    for rows in _chunks(num_resamples, n * a.shape[2] * max(a.shape[0], b.shape[0])):
        drawn = rng.integers(0, n, size=(rows, n))
        counts = np.zeros((rows, n))
        np.add.at(counts, (np.repeat(np.arange(rows), n), drawn.ravel()), 1.0)
        differences.append(resampled(a, counts) - resampled(b, counts))
    return _bootstrap_result("bootstrap_over_seeds", n, score_a, score_b, score_a - score_b,
                             np.concatenate(differences), confidence, seed)


def _bootstrap_result(
    method: str, num_instances: int, score_a: float, score_b: float, observed: float, resampled: np.ndarray,
    confidence: float, seed: int,
) -> SignificanceResult:
    """The test result from the ``observed`` difference and the resampled ones: percentile interval, and the
    p-value of the resampled differences shifted to the null (see the module docstring)."""
    tail = (1.0 - confidence) / 2.0
    ci_low, ci_high = np.quantile(resampled, [tail, 1.0 - tail])
    extreme = np.abs(resampled - observed) >= abs(observed) * (1.0 - _TIE_TOLERANCE)
    return SignificanceResult(
        method=method,
        num_instances=num_instances,
        mean_a=score_a,
        mean_b=score_b,
        mean_difference=observed,
        p_value=float((1 + extreme.sum()) / (resampled.size + 1)),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        confidence=confidence,
        num_resamples=int(resampled.size),
        seed=seed,
    )


def holm_bonferroni(p_values: Mapping[Name, float]) -> dict[Name, float]:
    """Holm–Bonferroni adjusted p-values of a family of tests (Holm, 1979): the k-th smallest of m p-values is
    multiplied by ``m - k + 1``, made monotone, and capped at 1. Reject where the adjusted p is below alpha."""
    ordered = sorted(p_values.items(), key=lambda item: item[1])
    adjusted: dict[Name, float] = {}
    running = 0.0
    for rank, (name, p) in enumerate(ordered):
        running = max(running, min(1.0, (len(ordered) - rank) * p))
        adjusted[name] = running
    return adjusted


def approximate_randomization(
    scores_a: Sequence[float], scores_b: Sequence[float], num_resamples: int = 1000, seed: int = 0
) -> SignificanceResult:
    """Paired approximate randomization (sign-flip permutation) test of ``mean(a) - mean(b)``."""
    a, b, differences = _paired_arrays(scores_a, scores_b, num_resamples)
    observed = float(differences.mean())
    rng = np.random.default_rng(seed)
    statistics = np.concatenate(
        [
            np.abs((rng.choice([-1.0, 1.0], size=(rows, differences.size)) * differences).mean(axis=1))
            for rows in _chunks(num_resamples, differences.size)
        ]
    )
    extreme = statistics >= abs(observed) * (1.0 - _TIE_TOLERANCE)
    return SignificanceResult(
        method="approximate_randomization",
        num_instances=differences.size,
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        mean_difference=observed,
        p_value=float((1 + extreme.sum()) / (num_resamples + 1)),
        ci_low=None,
        ci_high=None,
        confidence=None,
        num_resamples=num_resamples,
        seed=seed,
    )


def paired_scores_from_files(
    path_a: str | PathLike[str], path_b: str | PathLike[str], metric: str
) -> tuple[list[float], list[float]]:
    """Per-instance ``metric`` scores of two prediction files (``tasks.metrics.write_predictions``), paired by id.

    Both files must cover the same ids.
    """
    from tasks.metrics.output import read_instance_scores

    scores_a = read_instance_scores(path_a, metric)
    scores_b = read_instance_scores(path_b, metric)
    if scores_a.keys() != scores_b.keys():
        only_a = sorted(scores_a.keys() - scores_b.keys())
        only_b = sorted(scores_b.keys() - scores_a.keys())
        raise ValueError(
            f"prediction files cover different examples: {len(only_a)} ids only in {path_a} "
            f"(e.g. {only_a[:3]}), {len(only_b)} only in {path_b} (e.g. {only_b[:3]})"
        )
    ids = list(scores_a)
    return [scores_a[i] for i in ids], [scores_b[i] for i in ids]


def _paired_arrays(
    scores_a: Sequence[float], scores_b: Sequence[float], num_resamples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.asarray(scores_a, dtype=np.float64)
    b = np.asarray(scores_b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1 or a.size != b.size:
        raise ValueError(f"need two flat score lists of equal length (one score per instance): {a.shape}, {b.shape}")
    if a.size == 0:
        raise ValueError("need at least one paired score; both lists are empty")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("scores must be finite numbers (found NaN or infinity)")
    if num_resamples < 1:
        raise ValueError(f"num_resamples must be at least 1, got {num_resamples}")
    return a, b, a - b


def _chunks(total_rows: int, row_length: int) -> list[int]:
    """Row counts of consecutive chunks covering ``total_rows`` rows of ``row_length`` numbers each."""
    per_chunk = max(1, _CHUNK_ELEMENTS // row_length)
    return [min(per_chunk, total_rows - start) for start in range(0, total_rows, per_chunk)]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tasks.significance A.jsonl B.jsonl --metric bleu``: both tests on two runs' prediction files."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Paired significance test of run A against run B.")
    parser.add_argument("predictions_a", help="predictions_<split>.jsonl of run A")
    parser.add_argument("predictions_b", help="predictions_<split>.jsonl of run B (same examples)")
    parser.add_argument("--metric", default="bleu", help="per-instance score to compare (default: bleu)")
    parser.add_argument("--resamples", type=int, default=1000, help="number of resamples (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    scores_a, scores_b = paired_scores_from_files(args.predictions_a, args.predictions_b, args.metric)
    results = [
        paired_bootstrap(scores_a, scores_b, args.resamples, seed=args.seed),
        approximate_randomization(scores_a, scores_b, args.resamples, seed=args.seed),
    ]
    print(json.dumps({"metric": args.metric, "tests": [result.to_dict() for result in results]}, indent=2))


if __name__ == "__main__":
    main()
