"""Real-data builders: code summarization and assert generation pairs from pinned Java projects.

``transducer data build all`` (see :mod:`tasks.data.build.cli`) downloads the source jars pinned in
:mod:`tasks.data.build.manifest`, extracts pairs (:mod:`.summarization`, CodeSearchNet's procedure;
:mod:`.assertion`, ATLAS's), deduplicates them (:mod:`.dedup`) and writes project-disjoint splits
(:mod:`.build`).
"""
