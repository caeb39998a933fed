"""The tasks the comparison runs on: where each reads its data, which split chooses and which one is scored, the
metrics of every row, and the official score that the significance tests resample.

- ``code_translation``: CodeXGLUE Java→C# (``../shared/data/codexglue-java-cs``). Its test split is not available
  here, so the dev slice is carved from train and the validation split is scored. Official score: the code-to-code
  evaluator's corpus BLEU.
- ``code_summarization``: the pairs ``transducer data build`` writes (CodeSearchNet's procedure, split by
  project). The dev slice comes from the validation split, the test split is scored. Official score: CodeXGLUE
  code-to-text smoothed BLEU-4 (the mean of sentence scores).
- ``assert_generation``: the ATLAS-format pairs ``transducer data build`` writes; dev slice from validation, test
  scored. Official score: exact match (ATLAS's "perfect prediction"), with BLEU-4 beside it, which the tests against
  the transducer also resample (a small backbone rarely writes an assert exactly, and rows no example tells apart
  on exact match still differ in how close they come).

A task may also have an external set (:class:`ExternalSet`): data from elsewhere that no choice looks at, for which
every final run generates from the same best checkpoint (summarization: the TL-CodeSum validation split).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from tasks.data.example import Example

REPO_ROOT = Path(__file__).resolve().parents[2]
#: the per-row metrics every task adds to its own (length-robust score, run-on diagnostics)
DIAGNOSTICS = ("chrf", "length_ratio", "repetition")


def mean_of_first(summed: np.ndarray) -> np.ndarray:
    """``(..., 2)`` summed (score, count) -> ``(...)`` mean score."""
    return summed[..., 0] / summed[..., 1]


@dataclass(frozen=True)
class OfficialScore:
    """A task's official score as per-example sufficient statistics and the corpus score they sum to, so that a
    bootstrap can resample examples: ``statistics(predictions, references) -> (N, K)``, ``score((..., K)) -> (...)``."""

    metric: str
    label: str
    statistics: Callable[[Sequence[str], Sequence[str]], np.ndarray]
    score: Callable[[np.ndarray], np.ndarray]


def _corpus_bleu_statistics(predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
    from tasks.metrics.corpus_bleu import bleu_statistics

    return np.stack([bleu_statistics(p, r) for p, r in zip(predictions, references)])


def _corpus_bleu(summed: np.ndarray) -> np.ndarray:
    from tasks.metrics.corpus_bleu import bleu_from_statistics

    return bleu_from_statistics(summed)


def instance_mean_statistics(metric: str, predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Statistics ``(N, 2)`` = (the instance's ``metric``, 1) of a score that is the mean of instance scores."""
    from tasks.metrics import compute_metrics

    result = compute_metrics(predictions, references, (metric,), per_instance=True)
    return np.array([[instance[metric], 1.0] for instance in result.per_instance])


CORPUS_BLEU = OfficialScore("corpus_bleu", "BLEU", _corpus_bleu_statistics, _corpus_bleu)
SMOOTHED_BLEU = OfficialScore("bleu", "BLEU-4", partial(instance_mean_statistics, "bleu"), mean_of_first)
EXACT_MATCH = OfficialScore("exact_match", "EM", partial(instance_mean_statistics, "exact_match"), mean_of_first)


@dataclass(frozen=True)
class ExternalSet:
    """A scored set from outside the task's own data: every final run also generates for ``sample_size`` of its
    pairs (drawn with the protocol's data seed; all of them when it has fewer) from its best checkpoint."""

    name: str
    title: str
    read: Callable[[Path], list[Example]]
    default_data: Path
    sample_size: int
    #: how its references differ from the task's own (said next to its table)
    notes: str = ""


@dataclass(frozen=True)
class ComparisonTask:
    """How the comparison runs one task (see the module docstring)."""

    name: str
    title: str
    read: Callable[[Path, int | None], dict[str, list[Example]]]
    default_data: Path
    #: the split the dev slice is carved from ("train": it leaves train; else it is part of that split)
    dev_source: str
    #: the split every row generates for and is scored on
    scored_split: str
    official: OfficialScore
    #: report columns besides the diagnostics: (metric, label, digits)
    columns: tuple[tuple[str, str, int], ...]
    #: what the metrics are, for the report
    metric_notes: str
    target_language: str | None = None
    #: the naive baseline "the source is the prediction" makes sense (translation: same program, other language)
    copy_baseline: bool = False
    external: ExternalSet | None = None
    #: a second score the tests against the transducer resample besides ``official`` (Holm over both)
    also_tested: OfficialScore | None = None

    @property
    def tested_scores(self) -> tuple[OfficialScore, ...]:
        """The scores the tests against the transducer resample: ``official`` first."""
        return (self.official,) if self.also_tested is None else (self.official, self.also_tested)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([metric for metric, _, _ in self.columns if metric != "loss"] + list(DIAGNOSTICS)))

    @property
    def report_columns(self) -> tuple[tuple[str, str, int], ...]:
        return (*self.columns, ("chrf", "chrF", 2), ("loss", "loss", 3), ("length_ratio", "len ratio", 2),
                ("repetition", "repeat %", 1))


def _read_codexglue(folder: Path, limit: int | None) -> dict[str, list[Example]]:
    from tasks.data.loading import load_examples

    return {split: load_examples({"format": "codexglue_translation",
                                  "source_path": str(folder / f"{name}.java-cs.txt.java"),
                                  "target_path": str(folder / f"{name}.java-cs.txt.cs")}, limit=limit)
            for split, name in (("train", "train"), ("validation", "valid"))}


def _read_built_summarization(folder: Path, limit: int | None) -> dict[str, list[Example]]:
    from tasks.data.loading import load_examples

    return {split: load_examples({"format": "jsonl", "path": str(folder / f"{split}.jsonl")}, limit=limit)
            for split in ("train", "validation", "test")}


def _read_built_asserts(folder: Path, limit: int | None) -> dict[str, list[Example]]:
    from tasks.data.build.build import ATLAS_FOLDERS
    from tasks.data.loading import load_examples

    return {split: load_examples({"format": "atlas", "source_path": str(folder / name / "testMethods.txt"),
                                  "target_path": str(folder / name / "assertLines.txt")}, limit=limit)
            for split, name in ATLAS_FOLDERS.items()}


def _read_tl_codesum(folder: Path) -> list[Example]:
    from tasks.data.loading import load_examples

    return load_examples({"format": "tl_codesum", "code_path": str(folder / "valid.token.code"),
                          "nl_path": str(folder / "valid.token.nl")})


TL_CODESUM_VALIDATION = ExternalSet(
    "tl_codesum_validation", "TL-CodeSum validation (Hu et al. 2018)", _read_tl_codesum,
    REPO_ROOT.parent / "shared" / "data" / "tl-codesum", 1000,
    "its code is tokenised with single spaces and its summaries are lower-cased and tokenised (the smoothed BLEU-4 "
    "lower-cases both sides; chrF does not); `transducer data build` drops every method of our splits that "
    "(near-)duplicates one of its methods",
)

TASKS: dict[str, ComparisonTask] = {
    task.name: task for task in (
        ComparisonTask(
            "code_translation", "CodeXGLUE Java→C#", _read_codexglue,
            REPO_ROOT.parent / "shared" / "data" / "codexglue-java-cs", "train", "validation", CORPUS_BLEU,
            (("corpus_bleu", "BLEU", 2), ("exact_match", "EM", 2), ("codebleu", "CodeBLEU", 2)),
            "BLEU: CodeXGLUE code-to-code evaluator (corpus, whitespace tokens); EM: exact match; CodeBLEU "
            "(`codebleu`, PYTHONHASHSEED=0)", target_language="c_sharp", copy_baseline=True,
        ),
        ComparisonTask(
            "code_summarization", "Java code summarization (built by `transducer data build`, split by project)",
            _read_built_summarization, REPO_ROOT / "data" / "built" / "code_summarization", "validation", "test",
            SMOOTHED_BLEU, (("bleu", "BLEU-4", 2), ("exact_match", "EM", 2)),
            "BLEU-4: CodeXGLUE code-to-text smoothed sentence BLEU-4, averaged; EM: exact match",
            external=TL_CODESUM_VALIDATION,
        ),
        ComparisonTask(
            "assert_generation", "Java assert generation (ATLAS's procedure, built by `transducer data build`)",
            _read_built_asserts, REPO_ROOT / "data" / "built" / "assert_generation", "validation", "test",
            EXACT_MATCH, (("exact_match", "EM", 2), ("bleu", "BLEU-4", 2), ("codebleu", "CodeBLEU", 2)),
            "EM: exact match after collapsing whitespace (ATLAS's perfect prediction); BLEU-4: smoothed sentence "
            "BLEU-4, averaged; CodeBLEU (`codebleu`, Java, PYTHONHASHSEED=0)", target_language="java",
            also_tested=SMOOTHED_BLEU,
        ),
    )
}
