"""Corpus BLEU-4 exactly as CodeXGLUE's code-to-code evaluator computes it (the published translation BLEU).

Source of the definition: ``Code-Code/code-to-code-trans/evaluator/bleu.py`` in
https://github.com/microsoft/CodeXGLUE (MIT), itself the ``compute_bleu`` of tensorflow/nmt, called with
``smooth=True``. Re-implemented here on sufficient statistics, so that a paired bootstrap can resample instances
and recompute the *corpus* score:

1. Tokens are ``text.strip().split()`` (whitespace only).
2. Per instance: clipped n-gram matches and possible matches for n = 1..4, prediction length, reference length.
3. Corpus: sums of those; precision ``p_n = (matches_n + 1) / (possible_n + 1)`` for every order (add-one, as
   ``smooth=True``); brevity penalty ``exp(1 - ref_len / pred_len)`` when the predictions are shorter, 0 when
   they are empty; BLEU = 100 · BP · exp(mean log p_n).

The per-instance score is the same formula on one instance (for inspection; significance tests resample the
statistics instead).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

MAX_ORDER = 4
#: columns of a statistics row: matches for n=1..4, possible matches for n=1..4, prediction and reference length
NUM_STATISTICS = 2 * MAX_ORDER + 2


def _ngrams(tokens: list[str]) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for n in range(1, MAX_ORDER + 1) for i in range(len(tokens) - n + 1))


def bleu_statistics(prediction: str, reference: str) -> np.ndarray:
    """Sufficient statistics ``(NUM_STATISTICS,)`` of one prediction against its reference."""
    predicted, referenced = prediction.strip().split(), reference.strip().split()
    overlap = _ngrams(predicted) & _ngrams(referenced)
    row = np.zeros(NUM_STATISTICS, dtype=np.float64)
    for ngram, count in overlap.items():
        row[len(ngram) - 1] += count
    for n in range(1, MAX_ORDER + 1):
        row[MAX_ORDER + n - 1] = max(len(predicted) - n + 1, 0)
    row[-2], row[-1] = len(predicted), len(referenced)
    return row


def bleu_from_statistics(totals: np.ndarray) -> np.ndarray:
    """BLEU (0-100) from summed statistics ``(..., NUM_STATISTICS)``; one score per leading index."""
    totals = np.asarray(totals, dtype=np.float64)
    matches, possible = totals[..., :MAX_ORDER], totals[..., MAX_ORDER : 2 * MAX_ORDER]
    predicted, referenced = totals[..., -2], totals[..., -1]
    geometric_mean = np.exp(np.log((matches + 1.0) / (possible + 1.0)).mean(axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(referenced > 0, predicted / np.where(referenced > 0, referenced, 1.0), 0.0)
        penalty = np.where(ratio > 1.0, 1.0, np.where(ratio == 0.0, 0.0, np.exp(1.0 - 1.0 / np.where(ratio > 0, ratio, 1.0))))
    return 100.0 * geometric_mean * penalty


def corpus_bleu(predictions: list[str], references: list[str]) -> float:
    """The CodeXGLUE code-to-code corpus BLEU of ``predictions`` against ``references`` (0-100)."""
    statistics = np.stack([bleu_statistics(p, r) for p, r in zip(predictions, references)])
    return float(bleu_from_statistics(statistics.sum(axis=0)))
