"""The graph cache and extract_many: hits do not parse, corrupt entries are rebuilt, shards add up, workers agree."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

import cpg.cache
import cpg.extraction
import cpg.treesitter
from cpg import CodePropertyGraph, extract, extract_many
from cpg.cache import GraphCache, cache_key, decode, encode

CODES = {
    "java": [f"public int f{i}(int x) {{ int y = x + {i}; if (y > 2) {{ y--; }} return y; }}" for i in range(6)],
    "c_sharp": [f"public int F{i}(int x) {{ var y = x + {i}; while (y > 2) {{ y--; }} return y; }}" for i in range(6)],
    "python": [
        f"def f{i}(x):\n    y = x + {i}\n    for j in range(y):\n        y -= j\n    return y" for i in range(6)
    ],
}


def _packs(directory: Path) -> list[Path]:
    return GraphCache(directory).packs()


@pytest.mark.parametrize("language", CODES)
def test_cache_hit_returns_an_equal_graph_without_parsing(language, tmp_path, monkeypatch):
    codes = CODES[language]
    cold = extract_many(codes, language, cache_dir=tmp_path, num_workers=1, progress=False)
    assert cold.num_extracted == len(codes) and cold.num_cache_hits == 0 and len(GraphCache(tmp_path)) == len(codes)
    assert len(_packs(tmp_path)) == 1  # one pack file for the whole run, not a file per graph

    def no_parsing(*args, **kwargs):
        raise AssertionError("a cache hit must not parse")

    monkeypatch.setattr(cpg.extraction, "extract_treesitter", no_parsing)
    monkeypatch.setattr(cpg.treesitter, "parse", no_parsing)
    warm = extract_many(codes, language, cache_dir=tmp_path, num_workers=1, progress=False)
    assert warm.num_cache_hits == len(codes) and warm.num_extracted == 0 and warm.num_failed == 0
    assert warm.graphs == cold.graphs
    assert all(g.num_nodes > 5 and g.edge_counts()["DDG"] > 0 for g in warm.graphs)


def test_cache_key_covers_code_language_backend_and_options():
    base = cache_key("int f;", "java", "treesitter", {"max_nodes": 10})
    assert base == cache_key("int f;", "java", "treesitter", {"max_nodes": 10})
    others = [
        cache_key("int g;", "java", "treesitter", {"max_nodes": 10}),
        cache_key("int f;", "c_sharp", "treesitter", {"max_nodes": 10}),
        cache_key("int f;", "java", "joern", {"max_nodes": 10}),
        cache_key("int f;", "java", "treesitter", {"max_nodes": 11}),
    ]
    assert len({base, *others}) == 5


def test_different_options_miss_the_cache(tmp_path):
    codes = CODES["java"][:2]
    extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False)
    small = extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False, max_nodes=8)
    assert small.num_cache_hits == 0 and all(g.truncated for g in small.graphs)


@pytest.mark.parametrize("damage", ["entry_byte", "truncate", "index_byte", "garbage", "empty"])
def test_corrupt_entry_is_rebuilt(damage, tmp_path, caplog):
    code = CODES["java"][0]
    expected = extract_many([code], "java", cache_dir=tmp_path, num_workers=1, progress=False).graphs[0]
    (pack,) = _packs(tmp_path)
    data = pack.read_bytes()
    flip = {"entry_byte": len(data) // 3, "index_byte": len(data) - 30}.get(damage, 0)  # inside an entry / the index
    pack.write_bytes(
        {
            "truncate": data[: len(data) // 2],
            "garbage": b"not a cache pack at all" * 3,
            "empty": b"",
        }.get(damage, data[:flip] + bytes([data[flip] ^ 0xFF]) + data[flip + 1 :])
    )
    key = cache_key(code, "java", "treesitter", {"max_nodes": 2000, "max_text_chars": 256})
    with caplog.at_level(logging.WARNING, logger="cpg.cache"):
        assert GraphCache(tmp_path).get(key) is None
    if damage != "entry_byte":  # a damaged pack is skipped with a warning; a damaged entry is simply a miss
        assert f"graph cache pack {pack}" in caplog.text and "extracted again" in caplog.text
    again = extract_many([code], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert again.num_cache_hits == 0 and again.num_extracted == 1 and again.graphs[0] == expected
    assert len(_packs(tmp_path)) == 2 and GraphCache(tmp_path).get(key) == expected  # the newer pack wins
    assert extract_many([code], "java", cache_dir=tmp_path, progress=False).num_cache_hits == 1
    assert GraphCache(tmp_path).compact() is not None and _packs(tmp_path) != [pack]  # drops the damaged pack
    assert len(_packs(tmp_path)) == 1 and GraphCache(tmp_path).get(key) == expected


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    graph = extract(CODES["python"][0], "python")
    key = cache_key(CODES["python"][0], "python", "treesitter", {})
    with GraphCache(tmp_path) as cache:
        for _ in range(3):  # rewriting an entry (another worker finishing the same sample) keeps one copy
            cache.put(key, graph)
        assert cache.get(key) == graph and key in cache and len(cache) == 1  # visible before it is written
        assert not list(tmp_path.iterdir())
    (pack,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert pack.suffix == ".pack" and not pack.name.startswith(".")
    cache = GraphCache(tmp_path)
    assert cache.get(key) == graph and cache.get(bytes(32)) is None and bytes(32) not in cache
    lazy = cache.get(key)  # hits are lazy graphs; they pickle (DataLoader workers) without being built
    assert "_columns" in pickle.loads(pickle.dumps(lazy)).__dict__ and pickle.loads(pickle.dumps(lazy)) == graph
    assert decode(encode(graph)) == graph
    large = extract("int f(int v) { " + "v = v + 1; " * 400 + "return v; }", "java")
    cache.put(b"\xff" * 32, large)
    assert len(encode(large)) > 32_000 and cache.flush() is not None and cache.get(b"\xff" * 32) == large
    with pytest.raises(ValueError, match="32-byte"):
        cache.put("a hex string", graph)


def test_entries_round_trip_in_every_layout():
    plain = extract(CODES["java"][0], "java")
    warned = extract("int f( {", "java")  # warnings are stored between kind names and texts
    with_nul = extract('def f():\n    return "a\0b"\n', "python")  # texts holding NUL use the length layout
    empty = CodePropertyGraph("java", "treesitter")  # no nodes, no warnings
    assert warned.warnings and any("\0" in node.text for node in with_nul.nodes)
    for graph in (plain, warned, with_nul, empty):
        assert decode(encode(graph)) == graph
    lazy = decode(encode(plain)).columns()  # kind names and texts are split on first use
    assert pickle.loads(pickle.dumps(lazy)) == lazy == plain.columns()
    assert lazy.texts == [node.text for node in plain.nodes] and set(lazy.kinds) == {n.kind for n in plain.nodes}


def test_a_full_buffer_is_written_and_an_interrupted_run_keeps_finished_graphs(tmp_path, monkeypatch):
    monkeypatch.setattr(cpg.cache, "PACK_BYTES", 1)  # write a pack after every graph
    real = cpg.extraction._extract_one

    def interrupted(code, *args):
        if code == CODES["java"][3]:
            raise KeyboardInterrupt
        return real(code, *args)

    monkeypatch.setattr(cpg.extraction, "_extract_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        extract_many(CODES["java"], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert len(_packs(tmp_path)) == 3 and len(GraphCache(tmp_path)) == 3
    monkeypatch.setattr(cpg.extraction, "_extract_one", real)
    resumed = extract_many(CODES["java"], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert resumed.num_cache_hits == 3 and resumed.num_extracted == 3


def test_an_unwritable_cache_warns_and_keeps_the_graphs(tmp_path, monkeypatch, caplog):
    def read_only(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cpg.cache, "_write_pack", read_only)
    with caplog.at_level(logging.WARNING, logger="cpg.cache"):
        result = extract_many(CODES["java"], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert result.num_extracted == 6 and result.graphs == [extract(code, "java") for code in CODES["java"]]
    assert "cannot write a graph cache pack" in caplog.text and "6 new graphs stay uncached" in caplog.text
    assert _packs(tmp_path) == []
    monkeypatch.undo()
    monkeypatch.setattr(cpg.cache, "MAX_SMALL_PACKS", 0)
    extract_many(CODES["java"][:1], "java", cache_dir=tmp_path, num_workers=1, progress=False)  # one pack
    monkeypatch.setattr(cpg.cache, "_write_pack", read_only)  # merging it cannot write either: a warning
    with caplog.at_level(logging.WARNING, logger="cpg.cache"):
        extract_many(CODES["java"][1:2], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert "cannot merge the small graph cache packs" in caplog.text and len(_packs(tmp_path)) == 1


def test_many_small_packs_are_merged(tmp_path, monkeypatch):
    monkeypatch.setattr(cpg.cache, "MAX_SMALL_PACKS", 2)
    codes = CODES["java"] + CODES["c_sharp"]
    for code in codes[:3]:  # three small runs: the third closing merges the three packs into one
        extract_many([code], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert len(_packs(tmp_path)) == 1 and len(GraphCache(tmp_path)) == 3
    warm = extract_many(codes[:3], "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert warm.num_cache_hits == 3 and warm.graphs == [extract(code, "java") for code in codes[:3]]


def test_shards_fill_the_same_cache_as_one_run(tmp_path):
    codes = CODES["java"] + CODES["java"][:1]  # 7 samples, one duplicate
    first = extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False, shard=(0, 2))
    second = extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False, shard=(1, 2))
    assert [g is None for g in first.graphs] == [i % 2 == 1 for i in range(7)]
    assert [g is None for g in second.graphs] == [i % 2 == 0 for i in range(7)]
    assert "shard 1/2 of 7" in second.summary()
    whole = extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False)
    assert whole.num_cache_hits == 7 and whole.num_extracted == 0
    merged = [a if a is not None else b for a, b in zip(first.graphs, second.graphs)]
    assert whole.graphs == merged and len(GraphCache(tmp_path)) == 6


def test_worker_processes_give_the_same_graphs(tmp_path):
    codes = [code + f"  // {i}" for i in range(6) for code in CODES["java"]]  # 36 distinct snippets
    pooled = extract_many(codes, "java", cache_dir=tmp_path, num_workers=2, progress=False)
    assert pooled.num_extracted == 36 and pooled.num_failed == 0 and len(GraphCache(tmp_path)) == 36
    assert pooled.graphs == [extract(code, "java") for code in codes]
    assert extract_many(codes, "java", cache_dir=tmp_path, num_workers=2, progress=False).num_cache_hits == 36
    no_cache = extract_many(codes[:3], "java", num_workers=2, progress=False)
    assert no_cache.graphs == pooled.graphs[:3]


def test_counters_and_summary(tmp_path):
    codes = [CODES["java"][0], "", "int f( {", "int f() { return 1; }" + " int x = 1;" * 50]
    result = extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False, max_nodes=40)
    assert result.num_extracted == 4 and result.num_with_warnings == 3 and result.num_truncated == 1
    text = result.summary()
    assert "4 graphs" in text and "3 flagged" in text and "1 truncated" in text and "0 failed" in text
    cached = extract_many(codes, "java", cache_dir=tmp_path, num_workers=1, progress=False, max_nodes=40)
    assert cached.num_cache_hits == 4 and cached.num_with_warnings == 3 and cached.num_truncated == 1
