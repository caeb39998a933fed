"""The extractor-change counter: samples from text and .jsonl files, and a checkout compared with itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cpg_version_diff import edge_digests, main, read_samples

REPO_ROOT = Path(__file__).resolve().parents[2]
CATCH = "void f() { try { a(); b(); } catch (IOException e) { h(); } finally { c(); } }"
CATCH_ALL = "void f() { try { a(); b(); } catch (Throwable e) { h(); } finally { c(); } }"


def test_samples_are_lines_or_the_source_of_jsonl_lines(tmp_path: Path) -> None:
    text, jsonl = tmp_path / "m.java", tmp_path / "m.jsonl"
    text.write_text(f"{CATCH}\n{CATCH_ALL}\n")
    jsonl.write_text(json.dumps({"source": "void g() {\n  x();\n}", "target": "t"}) + "\n")
    assert read_samples([text, jsonl]) == [CATCH, CATCH_ALL, "void g() {\n  x();\n}"]


def test_digests_tell_graphs_with_different_edges_apart() -> None:
    first, second, again = edge_digests([CATCH, CATCH_ALL, CATCH], "java")
    assert first == again and first != second  # the typed handler adds exception edges into the finally


def test_a_checkout_against_itself_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "m.java"
    data.write_text(f"{CATCH}\n{CATCH_ALL}\n")
    main(["--baseline", str(REPO_ROOT), "--data", str(data), "--language", "java"])
    assert capsys.readouterr().out.startswith("0 of 2 java graphs changed")


def test_a_baseline_without_cpg_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "m.java"
    data.write_text(f"{CATCH}\n")
    with pytest.raises(SystemExit):
        main(["--baseline", str(tmp_path), "--data", str(data)])
    assert "--baseline must be a checkout with a cpg/ folder" in capsys.readouterr().err
