"""Okapi BM25 over many documents and queries at once: the retrieval baseline of the comparison and the ``icl``
method's demonstration ranking.

``rank_bm25`` scores one query by looping over every document for every query token, which takes hours for a
thousand long queries over ten thousand documents. The same Okapi BM25 scores (its idf, ``k1``, ``b`` and epsilon
floor) are a product of two sparse matrices: per-document term weights times per-query term counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

#: queries scored per sparse product (bounds the dense (queries, documents) score block)
QUERY_CHUNK = 256

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


class BM25Index:
    """``rank_bm25.BM25Okapi``'s scores over ``documents`` (tokenized by :func:`bm25_tokens`), many queries per
    sparse product."""

    def __init__(self, documents: Sequence[str]) -> None:
        from rank_bm25 import BM25Okapi

        okapi = BM25Okapi([bm25_tokens(d) for d in documents])
        self._vocabulary = {term: column for column, term in enumerate(okapi.idf)}
        rows, columns, values = [], [], []
        for row, (frequencies, length) in enumerate(zip(okapi.doc_freqs, okapi.doc_len)):
            norm = okapi.k1 * (1 - okapi.b + okapi.b * length / okapi.avgdl)
            for term, frequency in frequencies.items():
                rows.append(row)
                columns.append(self._vocabulary[term])
                values.append(okapi.idf[term] * frequency * (okapi.k1 + 1) / (frequency + norm))
        #: (terms, documents) per-document term weights
        self._weights = csr_matrix((values, (rows, columns)),
                                   shape=(len(documents), len(self._vocabulary))).T.tocsr()

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """(queries, documents) BM25 scores; keep ``len(queries)`` small (the block is dense)."""
        rows, columns, values = [], [], []
        for row, query in enumerate(queries):
            for term, count in Counter(bm25_tokens(query)).items():
                if term in self._vocabulary:
                    rows.append(row)
                    columns.append(self._vocabulary[term])
                    values.append(count)
        counts = csr_matrix((values, (rows, columns)), shape=(len(queries), len(self._vocabulary)))
        return (counts @ self._weights).toarray()

    def nearest(self, queries: Sequence[str]) -> list[int]:
        """For each query, the index of the highest-scoring document (ties: the first)."""
        nearest: list[int] = []
        for start in range(0, len(queries), QUERY_CHUNK):
            nearest.extend(int(i) for i in np.argmax(self.scores(queries[start:start + QUERY_CHUNK]), axis=1))
        return nearest

    def ranked(self, query: str, limit: int) -> list[int]:
        """The ``limit`` best documents' indices for ``query``, best first (ties: the earlier document)."""
        return [int(i) for i in np.argsort(-self.scores([query])[0], kind="stable")[:limit]]
