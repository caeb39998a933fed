"""Nearest training example by BM25, for many queries at once: the retrieval baseline of the comparison.

``rank_bm25`` scores one query by looping over every document for every query token, which takes hours for a
thousand long queries over ten thousand documents. The same Okapi BM25 scores (its idf, ``k1``, ``b`` and epsilon
floor) are a product of two sparse matrices: per-document term weights times per-query term counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

from tasks.icl import bm25_tokens

#: queries scored per sparse product (bounds the dense (queries, documents) score block)
QUERY_CHUNK = 256


def nearest_by_bm25(documents: Sequence[str], queries: Sequence[str]) -> list[int]:
    """For each query, the index of the document with the highest BM25 score (``rank_bm25.BM25Okapi`` over
    :func:`~tasks.icl.bm25_tokens`; ties: the first document)."""
    from rank_bm25 import BM25Okapi

    index = BM25Okapi([bm25_tokens(d) for d in documents])
    vocabulary = {term: column for column, term in enumerate(index.idf)}
    rows, columns, values = [], [], []
    for row, (frequencies, length) in enumerate(zip(index.doc_freqs, index.doc_len)):
        norm = index.k1 * (1 - index.b + index.b * length / index.avgdl)
        for term, frequency in frequencies.items():
            rows.append(row)
            columns.append(vocabulary[term])
            values.append(index.idf[term] * frequency * (index.k1 + 1) / (frequency + norm))
    weights = csr_matrix((values, (rows, columns)), shape=(len(documents), len(vocabulary))).T.tocsr()
    nearest: list[int] = []
    for start in range(0, len(queries), QUERY_CHUNK):
        q_rows, q_columns, q_values = [], [], []
        for row, query in enumerate(queries[start:start + QUERY_CHUNK]):
            for term, count in Counter(bm25_tokens(query)).items():
                if term in vocabulary:
                    q_rows.append(row)
                    q_columns.append(vocabulary[term])
                    q_values.append(count)
        counts = csr_matrix((q_values, (q_rows, q_columns)),
                            shape=(min(QUERY_CHUNK, len(queries) - start), len(vocabulary)))
        scores = (counts @ weights).toarray()  # (queries, documents)
        nearest.extend(int(i) for i in np.argmax(scores, axis=1))
    return nearest
