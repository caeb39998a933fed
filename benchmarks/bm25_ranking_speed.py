"""BM25 ranking per query: ``rank_bm25`` (what the ``icl`` method used before) against the sparse
:class:`tasks.retrieval.BM25Index` (what it and the retrieval baseline use), on the built assert-generation data.

    transducer data build assert_generation
    python benchmarks/bm25_ranking_speed.py --queries 20

Ranks the first ``--queries`` test sources against every training source with both, in one run and interleaved
query by query, and prints the median ms per query of each, their ratio, and for how many queries the two agree on
the ``--top`` best training sources (ties: the earlier source).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tasks.data.readers import read_atlas
from tasks.retrieval import BM25Index, bm25_tokens

DATA = Path(__file__).resolve().parents[1] / "data" / "built" / "assert_generation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="the built assert-generation folder")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--top", type=int, default=80, help="candidates compared (icl: 20 per shot, k=4)")
    args = parser.parse_args()
    if not (args.data / "Training" / "testMethods.txt").exists():
        parser.error(f"no built assert-generation data at {args.data}: run `transducer data build assert_generation`")
    from rank_bm25 import BM25Okapi

    def split(name: str) -> list[str]:
        return [e.source for e in read_atlas(args.data / name / "testMethods.txt", args.data / name / "assertLines.txt")]

    documents, queries = split("Training"), split("Testing")[: args.queries]
    okapi, index = BM25Okapi([bm25_tokens(d) for d in documents]), BM25Index(documents)
    old_ms, new_ms, agree = [], [], 0
    for query in queries:
        started = time.perf_counter()
        scores = okapi.get_scores(bm25_tokens(query))
        old = sorted(range(len(documents)), key=lambda i: (-scores[i], i))[: args.top]
        old_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        new = index.ranked(query, args.top)
        new_ms.append((time.perf_counter() - started) * 1000)
        agree += old == new
    old_median, new_median = statistics.median(old_ms), statistics.median(new_ms)
    print(f"{len(documents):,} training sources, {len(queries)} queries: rank_bm25 {old_median:.1f} ms/query, "
          f"BM25Index {new_median:.2f} ms/query ({old_median / new_median:.0f}× faster); "
          f"same top {args.top} for {agree} of {len(queries)} queries")


if __name__ == "__main__":
    main()
