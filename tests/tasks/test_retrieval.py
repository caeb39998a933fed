"""The batched BM25 nearest neighbour gives rank_bm25's own choice for every query."""

from __future__ import annotations

import random

import numpy as np
from rank_bm25 import BM25Okapi

from tasks.icl import bm25_tokens
from tasks.retrieval import nearest_by_bm25

WORDS = ["getName", "setValue", "list", "map", "size", "int", "return", "for", "if", "x", "y", "count", "buffer",
         "append", "String", "new", "null", "==", "+", "(", ")", "{", "}", ";"]


def test_nearest_by_bm25_matches_rank_bm25_query_by_query() -> None:
    rng = random.Random(0)
    documents = [" ".join(rng.choices(WORDS, k=rng.randint(3, 40))) for _ in range(60)]
    queries = [" ".join(rng.choices(WORDS, k=rng.randint(1, 30))) for _ in range(300)] + ["unseen tokens only"]
    reference = BM25Okapi([bm25_tokens(d) for d in documents])
    expected = [int(np.argmax(reference.get_scores(bm25_tokens(q)))) for q in queries]
    assert nearest_by_bm25(documents, queries) == expected  # 301 queries: more than one chunk of 256
