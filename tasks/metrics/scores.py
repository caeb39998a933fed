"""Corpus and per-instance scores for generated text/code: one entry point, :func:`compute_metrics`.

Every score is on a 0-100 scale. Metrics:

- ``bleu``: CodeXGLUE code-to-text smoothed sentence BLEU-4 (:mod:`tasks.metrics.smooth_bleu`); the corpus
  score is the mean of the per-instance scores, as CodeXGLUE reports it.
- ``corpus_bleu``: CodeXGLUE code-to-code corpus BLEU-4 (:mod:`tasks.metrics.corpus_bleu`: whitespace tokens,
  add-one smoothing), the BLEU published for code translation; per instance, the same formula on one pair.
- ``sacrebleu``: sacreBLEU corpus BLEU (default 13a tokenisation, exp smoothing); per instance,
  ``sentence_bleu`` with effective order. The corpus score is not the mean of the instance scores.
- ``exact_match``: prediction equals reference after collapsing whitespace runs (case-sensitive); 100 or 0.
- ``chrf``: sacreBLEU chrF (character 6-grams, beta 2): recall-weighted and without a brevity penalty, so it
  punishes a run-on output far less than BLEU does, and a truncated one more.
- ``length_ratio``: total whitespace tokens of the predictions over those of the references (1.0: as long as
  the references; a model that never stops writes > 1). Per instance, the same ratio of one pair.
- ``repetition``: percentage of predictions that repeat themselves: some token 4-gram occurs at least 3 times
  and more often than in the reference (code repeats some 4-grams legitimately; a loop that will not stop
  repeats them beyond the reference).
- ``codebleu``: CodeBLEU (Ren et al., 2020) from the ``codebleu`` package, which needs ``language``; the corpus
  result also lists its four components. Per instance it is one ``calc_codebleu`` call per pair (about
  1 ms each for method-sized code: 0.5 s for CodeXGLUE's 499 Java-C# validation pairs). The package counts the data-flow component as 1 when the reference
  has no data flow, so an empty prediction scores 25, not 0. Its data-flow component depends on Python's string
  hash seed (the package orders variable names through a ``set``): run with ``PYTHONHASHSEED=0`` for scores
  that repeat to the last digit (measured: the copy baseline's CodeBLEU on CodeXGLUE Java-C# valid spans 36.21 to
  36.40 over four seeds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tasks.metrics.corpus_bleu import bleu_from_statistics, bleu_statistics
from tasks.metrics.smooth_bleu import smoothed_sentence_bleu

#: language aliases accepted for CodeBLEU, mapped to the ``codebleu`` package's names
_CODEBLEU_ALIASES = {
    "cs": "c_sharp",
    "csharp": "c_sharp",
    "c#": "c_sharp",
    "py": "python",
    "js": "javascript",
    "c++": "cpp",
}


@dataclass
class MetricsResult:
    """Scores of one prediction set: ``corpus`` by metric name, ``per_instance`` aligned with the inputs.

    ``per_instance`` is empty when :func:`compute_metrics` ran with ``per_instance=False``; ``info`` holds
    reproducibility notes (the sacreBLEU signature, the CodeBLEU language).
    """

    num_examples: int
    corpus: dict[str, float]
    per_instance: list[dict[str, float]]
    info: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The corpus-level part as one flat mapping: the scores, ``num_examples``, then the ``info`` entries."""
        return {**self.corpus, "num_examples": self.num_examples, **self.info}


@dataclass
class _Scores:
    corpus: dict[str, float]
    per_instance: list[float] | None
    info: dict[str, str] = field(default_factory=dict)


def compute_metrics(
    predictions: Sequence[str],
    references: Sequence[str],
    metrics: Sequence[str] = ("bleu", "exact_match"),
    language: str | None = None,
    *,
    per_instance: bool = True,
) -> MetricsResult:
    """Score ``predictions`` against ``references`` (one reference each) with the named ``metrics``.

    ``language`` is the language of the references, required by ``codebleu`` (``"java"``, ``"c_sharp"``,
    ``"python"``, ...). ``per_instance=False`` skips per-instance scores (saves time for ``codebleu``).
    """
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(map(repr, unknown))}; available: {', '.join(METRICS)}")
    if not metrics:
        raise ValueError(f"no metrics requested; available: {', '.join(METRICS)}")
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions but {len(references)} references; need one each")
    if not predictions:
        raise ValueError("no predictions to score: the prediction list is empty")
    corpus: dict[str, float] = {}
    instances: list[dict[str, float]] = [{} for _ in predictions] if per_instance else []
    info: dict[str, str] = {}
    for name in dict.fromkeys(metrics):
        scores = METRICS[name](list(predictions), list(references), language, per_instance)
        corpus.update(scores.corpus)
        info.update(scores.info)
        if per_instance and scores.per_instance is not None:
            for instance, value in zip(instances, scores.per_instance):
                instance[name] = value
    return MetricsResult(len(predictions), corpus, instances, info)


def codebleu_language(language: str | None) -> str:
    """The ``codebleu`` package's name for ``language`` (accepts aliases such as ``"cs"``); raises if unsupported."""
    from codebleu.utils import AVAILABLE_LANGS

    if language is None:
        raise ValueError(f"codebleu needs the code language; pass language= one of {', '.join(AVAILABLE_LANGS)}")
    name = _CODEBLEU_ALIASES.get(language.lower(), language.lower())
    if name not in AVAILABLE_LANGS:
        raise ValueError(f"codebleu does not support language {language!r}; supported: {', '.join(AVAILABLE_LANGS)}")
    return name


def _bleu(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    scores = [100.0 * smoothed_sentence_bleu(p, r) for p, r in zip(predictions, references)]
    return _Scores({"bleu": sum(scores) / len(scores)}, scores)


def _corpus_bleu(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    statistics = np.stack([bleu_statistics(p, r) for p, r in zip(predictions, references)])
    instances = bleu_from_statistics(statistics).tolist() if per_instance else None
    return _Scores({"corpus_bleu": float(bleu_from_statistics(statistics.sum(axis=0)))}, instances)


def _sacrebleu(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    from sacrebleu.metrics import BLEU

    corpus_bleu = BLEU()
    score = corpus_bleu.corpus_score(predictions, [references]).score
    instances = None
    if per_instance:
        sentence_bleu = BLEU(effective_order=True)
        instances = [sentence_bleu.sentence_score(p, [r]).score for p, r in zip(predictions, references)]
    return _Scores({"sacrebleu": score}, instances, {"sacrebleu_signature": str(corpus_bleu.get_signature())})


def _chrf(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    instances = [chrf.sentence_score(p, [r]).score for p, r in zip(predictions, references)] if per_instance else None
    return _Scores({"chrf": chrf.corpus_score(predictions, [references]).score}, instances,
                   {"chrf_signature": str(chrf.get_signature())})


def _length_ratio(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    lengths = [(len(p.split()), len(r.split())) for p, r in zip(predictions, references)]
    total = sum(r for _, r in lengths)
    instances = [p / r if r else float(p > 0) for p, r in lengths] if per_instance else None
    return _Scores({"length_ratio": sum(p for p, _ in lengths) / total if total else 0.0}, instances)


#: n-gram order and count from which :func:`repeats_itself` calls an output repetitive
REPETITION_ORDER, REPETITION_COUNT = 4, 3


def repeats_itself(prediction: str, reference: str) -> bool:
    """Whether some token 4-gram of ``prediction`` occurs at least 3 times, and more often than in ``reference``."""
    from collections import Counter

    def grams(text: str) -> Counter[tuple[str, ...]]:
        tokens = text.split()
        return Counter(tuple(tokens[i : i + REPETITION_ORDER]) for i in range(len(tokens) - REPETITION_ORDER + 1))

    ours = grams(prediction)
    if not ours or max(ours.values()) < REPETITION_COUNT:
        return False
    theirs = grams(reference)
    return any(count >= REPETITION_COUNT and count > theirs[gram] for gram, count in ours.items())


def _repetition(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    scores = [100.0 if repeats_itself(p, r) else 0.0 for p, r in zip(predictions, references)]
    return _Scores({"repetition": sum(scores) / len(scores)}, scores)


def _exact_match(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    scores = [100.0 if p.split() == r.split() else 0.0 for p, r in zip(predictions, references)]
    return _Scores({"exact_match": sum(scores) / len(scores)}, scores)


def _codebleu(predictions: list[str], references: list[str], language: str | None, per_instance: bool) -> _Scores:
    from codebleu import calc_codebleu

    name = codebleu_language(language)
    result = calc_codebleu(references, predictions, lang=name)
    corpus = {"codebleu": 100.0 * result["codebleu"]}
    for component in ("ngram_match", "weighted_ngram_match", "syntax_match", "dataflow_match"):
        corpus[f"codebleu_{component}"] = 100.0 * result[f"{component}_score"]
    instances = None
    if per_instance:
        with _without_codebleu_dataflow_warning():
            instances = [
                100.0 * calc_codebleu([r], [p], lang=name)["codebleu"] for p, r in zip(predictions, references)
            ]
    return _Scores(corpus, instances, {"codebleu_language": name})


@contextmanager
def _without_codebleu_dataflow_warning() -> Iterator[None]:
    """Silence the root-logger warning ``codebleu`` emits for every reference without data flow."""

    def keep(record: logging.LogRecord) -> bool:
        return "no reference data-flows" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


#: metric name -> scorer ``(predictions, references, language, per_instance) -> _Scores``
METRICS: dict[str, Callable[[list[str], list[str], str | None, bool], _Scores]] = {
    "bleu": _bleu,
    "corpus_bleu": _corpus_bleu,
    "sacrebleu": _sacrebleu,
    "exact_match": _exact_match,
    "codebleu": _codebleu,
    "chrf": _chrf,
    "length_ratio": _length_ratio,
    "repetition": _repetition,
}
