"""The sparse BM25 index gives rank_bm25's own scores, nearest documents and rankings for every query."""

from __future__ import annotations

import random

import numpy as np
from rank_bm25 import BM25Okapi

from tasks.retrieval import BM25Index, bm25_tokens

WORDS = ["getName", "setValue", "list", "map", "size", "int", "return", "for", "if", "x", "y", "count", "buffer",
         "append", "String", "new", "null", "==", "+", "(", ")", "{", "}", ";"]


def _corpus() -> tuple[list[str], list[str]]:
    rng = random.Random(0)
    documents = [" ".join(rng.choices(WORDS, k=rng.randint(3, 40))) for _ in range(60)]
    queries = [" ".join(rng.choices(WORDS, k=rng.randint(1, 30))) for _ in range(300)] + ["unseen tokens only"]
    return documents, queries


def test_bm25_tokens_split_identifiers_at_case_and_underscore_boundaries() -> None:
    assert bm25_tokens("clearList(max_size)") == ["clearlist", "clear", "list", "(", "max_size", "max", "size", ")"]


def test_nearest_matches_rank_bm25_query_by_query() -> None:
    documents, queries = _corpus()
    reference = BM25Okapi([bm25_tokens(d) for d in documents])
    expected = [int(np.argmax(reference.get_scores(bm25_tokens(q)))) for q in queries]
    assert BM25Index(documents).nearest(queries) == expected  # 301 queries: more than one chunk of 256


def test_ranked_orders_documents_as_rank_bm25_scores_them_ties_by_position() -> None:
    documents, queries = _corpus()
    reference = BM25Okapi([bm25_tokens(d) for d in documents])
    index = BM25Index(documents)
    for query in queries[:40] + queries[-1:]:
        scores = reference.get_scores(bm25_tokens(query))
        np.testing.assert_allclose(index.scores([query])[0], scores, rtol=1e-9, atol=1e-12)
        expected = sorted(range(len(documents)), key=lambda i: (-round(scores[i], 9), i))[:10]
        assert index.ranked(query, 10) == expected
    assert index.ranked(queries[-1], 3) == [0, 1, 2]  # no known term: every score 0, document order
