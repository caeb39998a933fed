"""``transducer cpg``: summary/json/dot output, image rendering errors, batch mode, clean user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cpg.dot
from cpg.cli import main
from tasks.commands import main as transducer_main

EXAMPLE = Path(__file__).resolve().parents[2] / "cpg" / "examples" / "Example.java"


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    return exit_info.value.code


def test_summary_of_the_bundled_example(capsys):
    transducer_main(["cpg", str(EXAMPLE), "--language", "java"])  # the README command, through the dispatcher
    out = capsys.readouterr().out
    assert "(java, treesitter backend)" in out and "warnings: none" in out
    counts = dict(part.split() for part in out.split("edges: ")[1].split(" (total")[0].split(", "))
    assert set(counts) == {"AST", "CFG", "DDG", "CDG", "CALL", "ARGUMENT"}
    assert all(int(counts[t]) > 5 for t in ("AST", "CFG", "DDG", "CDG")) and int(counts["ARGUMENT"]) == 2
    nodes = int(out.split("nodes: ")[1].split()[0])
    assert int(counts["AST"]) == nodes - 1


def test_json_output_is_the_whole_graph(capsys):
    main([str(EXAMPLE), "--format", "json"])  # language from the extension
    data = json.loads(capsys.readouterr().out)
    assert data["language"] == "java" and data["backend"] == "treesitter" and data["warnings"] == []
    assert data["nodes"][0]["kind"] == "program" and {"kind", "text", "start", "end"} <= set(data["nodes"][0])
    assert {e["type"] for e in data["edges"]} == {"AST", "CFG", "DDG", "CDG", "ARGUMENT"}  # no call of its own methods
    assert all(0 <= e["src"] < len(data["nodes"]) and 0 <= e["dst"] < len(data["nodes"]) for e in data["edges"])


def test_dot_output_colors_edges_by_type(capsys, tmp_path):
    source = tmp_path / "f.py"
    source.write_text("def f(x):\n    if x:\n        x = 1\n    return x\n")
    main([str(source), "--format", "dot"])
    dot = capsys.readouterr().out
    assert dot.startswith("digraph cpg {") and dot.rstrip().endswith("}")
    assert 'color=blue, fontcolor=blue, label="CFG true"' in dot and 'color=red, fontcolor=red, label="DDG x"' in dot
    assert 'label="CDG"' in dot and "if_statement (line 2)" in dot
    main([str(source), "--format", "dot", "--output", str(tmp_path / "g.dot")])
    assert (tmp_path / "g.dot").read_text() == dot and "wrote" in capsys.readouterr().out


def test_rendering_without_graphviz_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cpg.dot.shutil, "which", lambda name: None)
    assert _exit_code([str(EXAMPLE), "--format", "dot", "--output", str(tmp_path / "g.png")]) == 1
    err = capsys.readouterr().err
    assert "Graphviz `dot` program is not installed" in err and "Traceback" not in err
    assert not (tmp_path / "g.png").exists()


def test_user_errors_exit_cleanly(capsys, tmp_path):
    assert _exit_code([str(tmp_path / "missing.java")]) == 1
    assert "no such file" in capsys.readouterr().err
    unknown = tmp_path / "code.txt"
    unknown.write_text("x = 1")
    assert _exit_code([str(unknown)]) == 1
    assert "pass --language" in capsys.readouterr().err
    assert _exit_code([str(unknown), "--language", "cobol"]) == 1
    assert "unsupported language 'cobol'" in capsys.readouterr().err
    assert _exit_code([str(EXAMPLE), "--format", "xml"]) == 2  # argparse: usage error
    assert _exit_code([str(EXAMPLE), "--shard", "0/2"]) == 1
    assert "--shard needs --batch" in capsys.readouterr().err
    main([str(unknown), "--language", "py", "--output", str(tmp_path / "s.txt")])
    assert "nodes:" in (tmp_path / "s.txt").read_text()


def test_batch_mode_fills_the_cache(capsys, tmp_path):
    data = tmp_path / "train.java"
    data.write_text("public int f(int a) { return a + 1; }\npublic void g() { h(); }\n\nint broken( {\n")
    cache = tmp_path / "cache"
    argv = [str(data), "--batch", "--cache-dir", str(cache), "--workers", "1", "--no-progress"]
    main(argv)
    out = capsys.readouterr().out
    assert "4 graphs" in out and "0 from cache, 4 extracted" in out and "2 flagged" in out
    main(argv)
    assert "4 from cache, 0 extracted" in capsys.readouterr().out
    main(argv + ["--shard", "1/3"])
    assert "1 graphs (shard 1/3 of 4): 1 from cache" in capsys.readouterr().out
    assert _exit_code(argv + ["--shard", "3/3"]) == 1 and "need 0 <= i < n" in capsys.readouterr().err


def test_batch_mode_reads_jsonl(capsys, tmp_path):
    data = tmp_path / "data.jsonl"
    rows = [{"code": "def f(x):\n    return x\n"}, {"code": "y = 1\nprint(y)\n"}]
    data.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    base = [str(data), "--batch", "--cache-dir", str(tmp_path / "c"), "--workers", "1", "--no-progress"]
    assert _exit_code(base) == 1  # .jsonl: no language from the extension
    assert "pass --language" in capsys.readouterr().err
    assert _exit_code(base + ["--language", "python"]) == 1  # default field "source" is missing
    assert "no string field 'source'" in capsys.readouterr().err
    main(base + ["--language", "python", "--jsonl-field", "code"])
    assert "2 graphs" in capsys.readouterr().out


def test_a_folder_gives_a_graph_per_supported_file(tmp_path, capsys):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "A.java").write_text(EXAMPLE.read_text())
    (tmp_path / "b.py").write_text("def f(x):\n    return x + 1\n")
    (tmp_path / "notes.txt").write_text("not code")
    main([str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [str(tmp_path / "b.py"), str(tmp_path / "pkg" / "A.java")]
    assert "(python)" in lines[0] and "(java)" in lines[1] and lines[-1].startswith("2 files:")
    main([str(tmp_path), "--language", "java", "--format", "json"])
    records = json.loads(capsys.readouterr().out)
    assert [(r["path"], r["language"]) for r in records] == [(str(tmp_path / "pkg" / "A.java"), "java")]
    assert len(records[0]["graph"]["nodes"]) > 5
    assert _exit_code([str(tmp_path), "--language", "ruby"]) == 1
    assert "no ruby files under" in capsys.readouterr().err
