"""Exact and near-duplicate detection over code token sets (MinHash LSH, verified by exact Jaccard).

Two codes are exact duplicates when their token sequences (:func:`tasks.data.build.java.lexical_tokens`) are equal,
and near duplicates when the Jaccard similarity of their token sets is at least ``threshold`` (0.8, as
Allamanis, "The adverse effects of code duplication in machine learning models of code", 2019, uses for
identifiers). LSH proposes candidates; each is confirmed by computing the Jaccard similarity itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from datasketch import MinHash, MinHashLSH

DEFAULT_THRESHOLD = 0.8
NUM_PERMUTATIONS = 128


class DuplicateIndex:
    """Codes added so far, queried for an exact or near duplicate of a new one."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERMUTATIONS)
        self._exact: dict[tuple[str, ...], Hashable] = {}
        self._sets: dict[Hashable, frozenset[str]] = {}
        self._order: dict[Hashable, int] = {}

    def find(self, tokens: Sequence[str]) -> tuple[str, Hashable] | None:
        """``("exact" | "near", key)`` of an indexed duplicate of ``tokens``, or ``None``."""
        exact = self._exact.get(tuple(tokens))
        if exact is not None:
            return "exact", exact
        token_set = frozenset(tokens)
        if not token_set:
            return None
        # the earliest indexed match, so that which split a duplicate is charged to does not depend on set order
        for key in sorted(self._lsh.query(_minhash(token_set)), key=self._order.__getitem__):
            other = self._sets[key]
            if len(token_set & other) / len(token_set | other) >= self.threshold:
                return "near", key
        return None

    def add(self, key: Hashable, tokens: Sequence[str]) -> None:
        """Index ``tokens`` under ``key`` (unique)."""
        self._exact.setdefault(tuple(tokens), key)
        token_set = frozenset(tokens)
        if token_set and key not in self._sets:
            self._order[key] = len(self._order)
            self._sets[key] = token_set
            self._lsh.insert(key, _minhash(token_set))


def _minhash(token_set: frozenset[str]) -> MinHash:
    signature = MinHash(num_perm=NUM_PERMUTATIONS)
    signature.update_batch([token.encode("utf-8") for token in sorted(token_set)])
    return signature
