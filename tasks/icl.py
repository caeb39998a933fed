"""Few-shot prompts for in-context learning (the ``icl`` method): demonstrations from the train split, chosen at
random or by BM25 similarity of their source to the query's (``rank_bm25``), in a template, within the source
token budget.

The query always fits: demonstrations (most similar first) are added only while the whole prompt stays within
``max_tokens``, so a long query gets fewer shots, and the number of shots is reported. A demonstration whose
source equals the query's (after whitespace normalisation) is never used: CodeXGLUE has such duplicates across
splits, and showing the answer is not in-context learning.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks.data import Example

#: candidates looked at per wanted demonstration before settling for fewer shots
CANDIDATES_PER_SHOT = 20

_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")


def bm25_tokens(text: str) -> list[str]:
    """Identifiers (also split at camelCase and snake_case boundaries), numbers and symbols, lower-cased."""
    tokens = []
    for word in _WORDS.findall(text):
        tokens.append(word.lower())
        parts = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", word)
        if len(parts) > 1:
            tokens.extend(part.lower() for part in parts)
    return tokens


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
        self._index = None
        if self.selection == "bm25":
            from rank_bm25 import BM25Okapi

            self._index = BM25Okapi([bm25_tokens(e.source) for e in self.pool])

    def _candidates(self, query: Example) -> list[int]:
        if self._index is not None:
            scores = self._index.get_scores(bm25_tokens(query.source))
            return sorted(range(len(self.pool)), key=lambda i: (-scores[i], i))
        order = list(range(len(self.pool)))
        random.Random(self.seed * 1_000_003 + zlib.crc32(query.id.encode())).shuffle(order)
        return order

    def prompt(self, query: Example) -> str:
        """The k-shot prompt for ``query`` (most relevant demonstration closest to the query)."""
        ending = self.query_template.format(source=query.source)
        budget = self.max_tokens - 1 - self._count(ending)
        chosen: list[str] = []
        key = _normalised(query.source)
        for index in self._candidates(query)[: CANDIDATES_PER_SHOT * max(self.k, 1)]:
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
