"""Pretraining corpus (licence headers, deduplication, held-out refusal) and the BPE tokenizer folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from tasks.pretrain.corpus import Document, build_corpus, line_file, read_documents, strip_licence_header
from tasks.pretrain.tokenizer import save_tokenizer, sentinel_tokens, train_tokenizer

JAVA = "/*\n * Copyright (c) 2020, Oracle.\n * GPL v2\n */\npackage a;\n\n/** Docs stay. */\nclass A {}\n"


def test_licence_headers_are_removed_and_other_comments_kept():
    assert strip_licence_header(JAVA, "java") == "package a;\n\n/** Docs stay. */\nclass A {}\n"
    assert strip_licence_header("/* helper for A */\nclass A {}", "java") == "/* helper for A */\nclass A {}"
    python = "# Copyright 2001 PSF\n# Licensed under the PSF licence\n\"\"\"Module.\"\"\"\nx = 1\n"
    assert strip_licence_header(python, "python") == "\"\"\"Module.\"\"\"\nx = 1\n"
    assert strip_licence_header("#!/usr/bin/env python\nx = 1\n", "python") == "#!/usr/bin/env python\nx = 1\n"


def test_corpus_drops_duplicates_across_sources_and_counts_them(tmp_path: Path):
    lines = tmp_path / "train.java-cs.txt.java"
    lines.write_text("int f() { return 1; }\nint  f()  {\treturn 1; }\n\nint g() { return 2; }\n")
    jdk = [Document("jdk", "java", "int g() { return 2; }"), Document("jdk", "java", "class B {}")]
    stats = build_corpus([iter(jdk), line_file(lines, "java")], tmp_path / "corpus")
    texts = [d.text for d in read_documents(tmp_path / "corpus")]
    assert texts == ["int g() { return 2; }", "class B {}", "int f() { return 1; }"]
    assert stats["jdk"].documents_kept == 2
    line_stats = stats["lines:train.java-cs.txt.java"]
    assert (line_stats.documents_read, line_stats.documents_kept, line_stats.duplicates_dropped, line_stats.empty_dropped) == (4, 1, 2, 1)
    saved = json.loads((tmp_path / "corpus" / "corpus_stats.json").read_text())
    assert saved["lines:train.java-cs.txt.java"]["bytes_kept"] == len("int f() { return 1; }")


@pytest.mark.parametrize("name", ["valid.java-cs.txt.cs", "test.java", "java_dev.txt"])
def test_held_out_splits_are_refused(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text("int f() {}\n")
    with pytest.raises(ValueError, match="held-out split"):
        list(line_file(path, "java"))


def test_tokenizer_folder_loads_offline_and_round_trips_whitespace(tmp_path: Path, monkeypatch):
    texts = ["public int add(int a, int b) {\n\treturn a + b;\n}\n", "def f(x):\n    return x  # comment\n"] * 50
    save_tokenizer(train_tokenizer(texts, vocab_size=400, sentinels=10), tmp_path / "tok")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path / "tok"))
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)
    assert tokenizer.convert_tokens_to_ids(sentinel_tokens(10)) == list(range(3, 13))
    code = "class  Z {\n\t\tint q;   // odd   spacing\r\n}\n"
    ids = tokenizer(code)["input_ids"]
    assert ids[-1] == tokenizer.eos_token_id and tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == code
    assert len(tokenizer(texts[0], add_special_tokens=False)["input_ids"]) < len(texts[0]) / 2  # merges learned
