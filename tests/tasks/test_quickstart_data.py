import json

import pytest
import tree_sitter_java
from tree_sitter import Language, Parser

from tasks.data import QUICKSTART_DIR, load_examples, read_jsonl
from tasks.data.make_quickstart import MAX_SOURCE_CHARS, MAX_TARGET_CHARS, SPLIT_SIZES, multiline, write_quickstart


@pytest.fixture(scope="module")
def splits():
    return {split: read_jsonl(QUICKSTART_DIR / f"{split}.jsonl") for split in SPLIT_SIZES}


def test_files_parse_with_expected_fields_and_sizes(splits):
    assert {split: len(examples) for split, examples in splits.items()} == {"train": 400, "valid": 50, "test": 50}
    for split in SPLIT_SIZES:
        for line in (QUICKSTART_DIR / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            assert list(json.loads(line)) == ["id", "source", "target", "language"]
    for examples in splits.values():
        for example in examples:
            assert example.language == "java"
            assert 0 < len(example.source) <= MAX_SOURCE_CHARS
            assert 0 < len(example.target) <= MAX_TARGET_CHARS
    assert len(load_examples(str(QUICKSTART_DIR / "valid.jsonl"))) == 50


def test_splits_share_no_source_and_ids_are_unique(splits):
    sources = [example.source for examples in splits.values() for example in examples]
    ids = [example.id for examples in splits.values() for example in examples]
    assert len(set(sources)) == len(sources) == 500
    assert len(set(ids)) == 500


def test_sources_are_valid_java_with_control_flow(splits):
    parser = Parser(Language(tree_sitter_java.language()))
    examples = [example for examples in splits.values() for example in examples]
    for example in examples:
        tree = parser.parse(example.source.encode())
        assert not tree.root_node.has_error, example.source
        assert tree.root_node.children[0].type == "method_declaration"
    with_loops = sum(("for (" in e.source or "while (" in e.source) for e in examples)
    with_branches = sum(("if (" in e.source or " ? " in e.source) for e in examples)
    assert with_loops >= 100 and with_branches >= 100
    assert sum("\n" in e.source for e in examples) >= 50  # some methods span several lines


def test_generator_reproduces_committed_files_byte_for_byte(tmp_path):
    paths = write_quickstart(tmp_path)
    assert sorted(paths) == sorted(SPLIT_SIZES)
    for split, path in paths.items():
        assert path.read_bytes() == (QUICKSTART_DIR / f"{split}.jsonl").read_bytes(), split


def test_multiline_layout_keeps_tokens():
    code = "int sign(int x) { if (x > 0) { return 1; } else if (x < 0) { return -1; } return 0; }"
    laid_out = multiline(code)
    assert laid_out.splitlines() == [
        "int sign(int x) {",
        "    if (x > 0) {",
        "        return 1;",
        "    } else if (x < 0) {",
        "        return -1;",
        "    }",
        "    return 0;",
        "}",
    ]
    assert laid_out.split() == code.split()
