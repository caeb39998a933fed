"""Few-shot prompts for in-context learning (the ``icl`` method): demonstrations from the train split, chosen at
random or by BM25 similarity of their source to the query's (:class:`tasks.retrieval.BM25Index`), in a template,
within the source token budget.

The query always fits: demonstrations (most similar first) are added only while the whole prompt stays within
``max_tokens``, so a long query gets fewer shots, and the number of shots is reported. A demonstration whose
source equals the query's (after whitespace normalisation) is never used: CodeXGLUE has such duplicates across
splits, and showing the answer is not in-context learning.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks.data import Example
from tasks.retrieval import BM25Index

#: candidates looked at per wanted demonstration before settling for fewer shots
CANDIDATES_PER_SHOT = 20

def _normalised(text: str) -> str:
    return " ".join(text.split())


@dataclass
class DemonstrationPrompter:
    """Builds k-shot prompts from ``pool`` (the train split).

    Args:
        pool: candidate demonstrations.
        tokenizer: the backbone's tokenizer (counts prompt tokens).
        max_tokens: the source budget (``data.max_source_length``); ``</s>`` takes one token of it.
        k: most demonstrations per prompt.
        selection: ``bm25`` (most similar sources first) or ``random`` (seeded per query id).
        example_template / query_template: ``{source}``/``{target}`` placeholders.
        seed: for ``random`` selection.
    """

    pool: Sequence[Example]
    tokenizer: Any
    max_tokens: int
    k: int = 4
    selection: str = "bm25"
    example_template: str = "Input:\n{source}\nOutput:\n{target}\n\n"
    query_template: str = "Input:\n{source}\nOutput:\n"
    seed: int = 0
    #: shots used per prompt built so far, and demonstrations skipped as copies of their query
    shots: list[int] = field(default_factory=list)
    skipped_duplicates: int = 0

    def __post_init__(self) -> None:
        if self.selection not in ("bm25", "random"):
            raise ValueError(f"icl selection must be 'bm25' or 'random', got {self.selection!r}")
        if self.k < 0:
            raise ValueError(f"icl k must be >= 0, got {self.k}")
        if not self.pool:
            raise ValueError("icl needs demonstrations: configure data.train (its examples are the pool)")
        self._index = BM25Index([e.source for e in self.pool]) if self.selection == "bm25" else None

    def _candidates(self, query: Example, limit: int) -> list[int]:
        if self._index is not None:
            return self._index.ranked(query.source, limit)
        order = list(range(len(self.pool)))
        random.Random(self.seed * 1_000_003 + zlib.crc32(query.id.encode())).shuffle(order)
        return order[:limit]

    def prompt(self, query: Example) -> str:
        """The k-shot prompt for ``query`` (most relevant demonstration closest to the query)."""
        ending = self.query_template.format(source=query.source)
        budget = self.max_tokens - 1 - self._count(ending)
        chosen: list[str] = []
        key = _normalised(query.source)
        for index in self._candidates(query, CANDIDATES_PER_SHOT * max(self.k, 1)):
            if len(chosen) == self.k:
                break
            example = self.pool[index]
            if _normalised(example.source) == key:
                self.skipped_duplicates += 1
                continue
            text = self.example_template.format(source=example.source, target=example.target)
            cost = self._count(text)
            if cost > budget:
                continue  # a shorter (for bm25: less similar) one may still fit
            chosen.append(text)
            budget -= cost
        self.shots.append(len(chosen))
        return "".join(reversed(chosen)) + ending

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def summary(self) -> str:
        mean = sum(self.shots) / len(self.shots) if self.shots else 0.0
        return (f"{len(self.shots)} prompts, {mean:.2f} demonstrations on average (k={self.k}, {self.selection}), "
                f"{sum(s < self.k for s in self.shots)} with fewer than k to fit the budget, "
                f"{self.skipped_duplicates} demonstrations skipped as copies of their query")
