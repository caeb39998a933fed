import json
from pathlib import Path

import pytest

from tasks.data import (
    FORMATS,
    DataFormatError,
    Example,
    load_examples,
    read_atlas,
    read_codesearchnet,
    read_codexglue_translation,
    read_hf_dataset,
    read_jsonl,
)
from tasks.data.readers import (
    TlCodeSumFileCounts,
    TlCodeSumReadReport,
    collect_replaced_lines,
    read_tl_codesum,
    read_tl_codesum_with_report,
)

CODEXGLUE_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "codexglue-java-cs"


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


# --- native JSONL -------------------------------------------------------------------------------------------


def test_read_jsonl_fields_default_ids_and_language(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"id": "m1", "source": "int f() { return 1; }", "target": "returns one", "language": "java"},
            {"source": "x = 1", "target": "sets x"},
        ],
    )
    path.write_text(path.read_text() + "\n  \n")  # blank trailing lines are ignored
    assert read_jsonl(path) == [
        Example("int f() { return 1; }", "returns one", "m1", "java"),
        Example("x = 1", "sets x", "1", None),
    ]
    assert read_jsonl(path, language="python")[1].language == "python"
    assert read_jsonl(path, language="python")[0].language == "java"


def test_read_jsonl_custom_fields_and_integer_ids(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"idx": 7, "code": "a", "nl": "b", "lang": "go"}])
    examples = read_jsonl(path, source_field="code", target_field="nl", id_field="idx", language_field="lang")
    assert examples == [Example("a", "b", "7", "go")]


def test_read_jsonl_target_optional_for_prediction_inputs(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"source": "a"}, {"source": "b", "target": "t"}])
    assert [e.target for e in read_jsonl(path, require_target=False)] == ["", "t"]
    with pytest.raises(DataFormatError, match=r"d\.jsonl:1: missing field 'target' \(record has: source\)"):
        read_jsonl(path)


def test_read_jsonl_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        read_jsonl(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_read_jsonl_empty_file(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=r"empty\.jsonl: file is empty"):
        read_jsonl(path)


def test_read_jsonl_invalid_json_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"source": "a", "target": "b"}\n{"source": "a", target}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2: invalid JSON"):
        read_jsonl(path)


def test_read_jsonl_rejects_non_objects_wrong_types_and_duplicate_ids(tmp_path):
    with pytest.raises(DataFormatError, match=r":1: expected a JSON object per line, got list"):
        read_jsonl(write_jsonl(tmp_path / "a.jsonl", [["a", "b"]]))
    with pytest.raises(DataFormatError, match=r":1: field 'source' must be a string, got int"):
        read_jsonl(write_jsonl(tmp_path / "b.jsonl", [{"source": 3, "target": "x"}]))
    duplicates = [{"id": "x", "source": "a", "target": "b"}, {"id": "x", "source": "c", "target": "d"}]
    with pytest.raises(DataFormatError, match=r"duplicate id 'x'"):
        read_jsonl(write_jsonl(tmp_path / "c.jsonl", duplicates))


# --- CodeXGLUE code-to-code translation ---------------------------------------------------------------------


def test_codexglue_translation_pairs_lines_and_infers_language(tmp_path):
    java = tmp_path / "train.java-cs.txt.java"
    cs = tmp_path / "train.java-cs.txt.cs"
    java.write_text("public int f() {return 1;}\r\npublic void g() {x();\x0cy();}\n")
    cs.write_text("public int F(){return 1;}\npublic void G(){X();Y();}\n")
    examples = read_codexglue_translation(java, cs)
    assert examples == [
        Example("public int f() {return 1;}", "public int F(){return 1;}", "0", "java"),
        Example("public void g() {x();\x0cy();}", "public void G(){X();Y();}", "1", "java"),
    ]  # a form feed inside a method is not a line break
    assert read_codexglue_translation(cs, java)[0].language == "c_sharp"
    assert read_codexglue_translation(java, cs, language="python")[0].language == "python"


def test_codexglue_translation_misaligned_and_empty_lines(tmp_path):
    java = tmp_path / "a.java"
    cs = tmp_path / "a.cs"
    java.write_text("a\nb\nc\n")
    cs.write_text("A\nB\n")
    with pytest.raises(DataFormatError, match=r"misaligned parallel files: .*a\.java has 3 lines but .*a\.cs has 2"):
        read_codexglue_translation(java, cs)
    cs.write_text("A\n \nC\n")
    with pytest.raises(DataFormatError, match=r"a\.cs:2: empty line"):
        read_codexglue_translation(java, cs)
    with pytest.raises(FileNotFoundError, match=r"missing\.cs"):
        read_codexglue_translation(java, tmp_path / "missing.cs")


@pytest.mark.skipif(not CODEXGLUE_DIR.is_dir(), reason="shared CodeXGLUE java-cs data not present")
def test_codexglue_translation_real_data():
    examples = load_examples(
        {
            "format": "codexglue_translation",
            "source_path": str(CODEXGLUE_DIR / "valid.java-cs.txt.java"),
            "target_path": str(CODEXGLUE_DIR / "valid.java-cs.txt.cs"),
        }
    )
    assert len(examples) == 499
    assert len({e.id for e in examples}) == 499
    assert all(e.language == "java" and e.source and e.target for e in examples)
    assert examples[1] == Example(
        "public String toString() {return pattern();}",
        "public override string ToString(){return Pattern();}",
        "1",
        "java",
    )


# --- CodeSearchNet / CodeXGLUE code-to-text -----------------------------------------------------------------

CSN_RECORD = {
    "repo": "r",
    "func_name": "add",
    "code": "int add(int a, int b) {\n    return a + b;\n}",
    "code_tokens": ["int", "add", "(", "int", "a", ",", "int", "b", ")", "{", "return", "a", "+", "b", ";", "}"],
    "docstring": "Returns the sum\nof a and b.",
    "docstring_tokens": ["Returns", "the", "sum", "of", "a", "and", "b", "."],
    "language": "java",
}


def test_codesearchnet_tokens_by_default_raw_on_request(tmp_path):
    path = write_jsonl(tmp_path / "test.jsonl", [CSN_RECORD, {**CSN_RECORD, "idx": 42, "language": "python"}])
    examples = read_codesearchnet(path)
    assert examples[0] == Example(
        "int add ( int a , int b ) { return a + b ; }", "Returns the sum of a and b .", "0", "java"
    )
    assert (examples[1].id, examples[1].language) == ("42", "python")
    raw = read_codesearchnet(path, use_tokens=False)[0]
    assert (raw.source, raw.target) == (CSN_RECORD["code"], CSN_RECORD["docstring"])


def test_codesearchnet_missing_field_and_default_language(tmp_path):
    record = {key: value for key, value in CSN_RECORD.items() if key not in ("docstring_tokens", "language")}
    path = write_jsonl(tmp_path / "t.jsonl", [record])
    with pytest.raises(DataFormatError, match=r"t\.jsonl:1: missing field 'docstring_tokens'"):
        read_codesearchnet(path)
    assert read_codesearchnet(path, use_tokens=False, language="java")[0].language == "java"


# --- ATLAS --------------------------------------------------------------------------------------------------


def test_atlas_pairs_test_methods_with_asserts(tmp_path):
    source = tmp_path / "testMethods.txt"
    target = tmp_path / "assertLines.txt"
    source.write_text(
        'testAdd ( ) { Calc c = new Calc ( ) ; \"<AssertPlaceHolder>\" ; } \"<FocalMethod>\" add ( int a , int b ) '
        "{ return a + b ; }\n"
    )
    target.write_text("assertEquals ( 3 , c . add ( 1 , 2 ) )\n")
    [example] = read_atlas(source, target)
    assert example.target == "assertEquals ( 3 , c . add ( 1 , 2 ) )"
    assert '"<FocalMethod>"' in example.source and example.language == "java" and example.id == "0"


def test_a_bad_byte_costs_its_line_not_the_file(tmp_path, caplog):
    """A Latin-1 byte in a UTF-8 read: that line is decoded with a replacement character, logged once and counted;
    every pair is kept, and the right encoding reads it exactly."""
    source = tmp_path / "testMethods.txt"
    target = tmp_path / "assertLines.txt"
    source.write_bytes("test ( ) { s = 1 ; }\ntest ( ) { s = \"caf\xe9\" ; }\n".encode("latin-1"))
    target.write_text("assertEquals ( 1 , s )\nassertNotNull ( s )\n")
    with collect_replaced_lines() as replaced, caplog.at_level("WARNING"):
        examples = read_atlas(source, target)
    assert [e.source for e in examples] == ["test ( ) { s = 1 ; }", "test ( ) { s = \"caf\ufffd\" ; }"]
    assert replaced == [(str(source), 2)]
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "1 line(s)" in warnings[0].getMessage() and "line 2" in warnings[0].getMessage()
    assert "café" in read_atlas(source, target, encoding="iso8859-1")[1].source


# --- Hugging Face datasets ----------------------------------------------------------------------------------


def test_hf_reads_local_jsonl_as_named_split(tmp_path):
    records = [{"source": "a", "target": "b", "id": "x"}, {"source": "c", "target": "d", "id": "y"}]
    path = write_jsonl(tmp_path / "d.jsonl", records)
    examples = read_hf_dataset(path, split="test", cache_dir=str(tmp_path / "cache"))
    assert examples == [Example("a", "b", "x"), Example("c", "d", "y")]


def test_hf_reads_saved_dataset_dict_and_checks_split_and_fields(tmp_path):
    import datasets

    rows = {"code": ["f()", "g()"], "summary": ["calls f", "calls g"]}
    datasets.DatasetDict({"validation": datasets.Dataset.from_dict(rows)}).save_to_disk(str(tmp_path / "saved"))
    examples = read_hf_dataset(tmp_path / "saved", "validation", "code", "summary", language="python")
    assert examples == [Example("f()", "calls f", "0", "python"), Example("g()", "calls g", "1", "python")]
    with pytest.raises(DataFormatError, match=r"no split 'train'; it has: validation"):
        read_hf_dataset(tmp_path / "saved")
    with pytest.raises(DataFormatError, match=r"\[validation\] row 0: missing field 'source'"):
        read_hf_dataset(tmp_path / "saved", "validation")


def test_hf_missing_local_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.jsonl"):
        read_hf_dataset(tmp_path / "absent.jsonl")


# --- dispatcher ---------------------------------------------------------------------------------------------


def test_load_examples_dispatches_by_format(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"source": f"s{i}", "target": f"t{i}"} for i in range(5)])
    assert [e.source for e in load_examples(str(path))] == [f"s{i}" for i in range(5)]
    assert len(load_examples(path, limit=2)) == 2
    assert len(load_examples({"format": "jsonl", "path": str(path), "limit": 3})) == 3
    (tmp_path / "x.java").write_text("a\n")
    (tmp_path / "x.cs").write_text("b\n")
    spec = {"format": "codexglue_translation", "source_path": tmp_path / "x.java", "target_path": tmp_path / "x.cs"}
    assert load_examples(spec) == [Example("a", "b", "0", "java")]
    assert set(FORMATS) == {
        "jsonl", "codexglue_translation", "codesearchnet", "atlas", "conala", "codealpaca", "tl_codesum", "hf"
    }


def test_load_examples_errors_are_actionable(tmp_path):
    with pytest.raises(ValueError, match=r"unknown format 'csv'; available formats: jsonl, codexglue_translation"):
        load_examples({"format": "csv", "path": "x"})
    with pytest.raises(ValueError, match=r"has no 'format' key"):
        load_examples({"path": "x"})
    with pytest.raises(ValueError, match=r"bad dataset spec for format 'atlas' .*accepted keys: source_path, target"):
        load_examples({"format": "atlas", "source": "x"})
    with pytest.raises(ValueError, match=r"limit must be a positive"):
        load_examples({"format": "jsonl", "path": "x"}, limit=0)


def test_conala_prefers_the_rewritten_intent_and_numbers_repeated_questions(tmp_path):
    from tasks.data import load_examples

    path = tmp_path / "conala-train.json"
    path.write_text(json.dumps([
        {"intent": "How to sort a list?", "rewritten_intent": "sort list `xs`", "snippet": "xs.sort()", "question_id": 7},
        {"intent": "How to sort a list?", "rewritten_intent": None, "snippet": "sorted(xs)", "question_id": 7},
    ]))
    examples = load_examples({"format": "conala", "path": str(path)})
    assert [(e.source, e.target, e.id) for e in examples] == [
        ("sort list `xs`", "xs.sort()", "7-0"), ("How to sort a list?", "sorted(xs)", "7-1")]
    assert examples[0].language is None  # English sources: no graph language
    path.write_text(json.dumps([{"intent": "x"}]))
    with pytest.raises(DataFormatError, match="snippet"):
        load_examples({"format": "conala", "path": str(path)})


def test_codealpaca_json_and_jsonl_join_instruction_and_input(tmp_path):
    from tasks.data import load_examples

    records = [{"instruction": "Reverse a string.", "input": "s = 'abc'", "output": "s[::-1]"},
               {"instruction": "Print hello.", "input": "", "output": "print('hello')"}]
    (tmp_path / "a.json").write_text(json.dumps(records))
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    for name in ("a.json", "a.jsonl"):
        examples = load_examples({"format": "codealpaca", "path": str(tmp_path / name)})
        assert [e.source for e in examples] == ["Reverse a string.\ns = 'abc'", "Print hello."]
        assert [e.target for e in examples] == ["s[::-1]", "print('hello')"]


# --- TL-CodeSum ---------------------------------------------------------------------------------------------

TL_CODESUM_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "tl-codesum"


def write_tl_codesum(tmp_path: Path) -> tuple[Path, Path]:
    """A code/nl pair with every kind of bad line: ids out of order across the files, an id missing from each file,
    a line without a tab, empty ids and texts, a repeated id in each file, and a Latin-1 byte in a UTF-8 line."""
    code = tmp_path / "valid.token.code"
    nl = tmp_path / "valid.token.nl"
    code.write_bytes(
        b"1\tint one ( ) { return 1 ; }\n"
        b"2\tint two ( ) { return 2 ; }\n"  # no summary: unmatched
        b"3 void noTab ( ) { }\n"  # malformed
        b"4\tString cafe ( ) { return \"caf\xe9\" ; }\r\n"  # kept, the bad byte replaced
        b"1\tint again ( ) { }\n"  # duplicate
        b"5\tvoid five ( ) { }\n"
        b"\tvoid noId ( ) { }\n"  # malformed
    )
    nl.write_text(
        "5\truns five .\n"
        "4\treturns cafe .\n"
        "6\tsummary without code .\n"  # unmatched
        "1\treturns one .\n"
        "7\t  \n"  # malformed: empty text
        "5\truns five again .\n",  # duplicate
        encoding="utf-8",
    )
    return code, nl


def test_tl_codesum_joins_by_id_and_skips_bad_lines_counted(tmp_path, caplog):
    code, nl = write_tl_codesum(tmp_path)
    with collect_replaced_lines() as replaced, caplog.at_level("WARNING"):
        examples, report = read_tl_codesum_with_report(code, nl)
    assert examples == [  # the code file's order, paired by id
        Example("int one ( ) { return 1 ; }", "returns one .", "1", "java"),
        Example('String cafe ( ) { return "caf\ufffd" ; }', "returns cafe .", "4", "java"),
        Example("void five ( ) { }", "runs five .", "5", "java"),
    ]
    assert report == TlCodeSumReadReport(
        code=TlCodeSumFileCounts(str(code), lines=7, malformed=2, duplicates=1, unmatched=1, replaced=1),
        nl=TlCodeSumFileCounts(str(nl), lines=6, malformed=1, duplicates=1, unmatched=1, replaced=0),
    )
    assert (report.code.skipped, report.nl.skipped) == (4, 3)
    assert replaced == [(str(code), 4)]  # an enclosing collector still sees the replaced line
    skips = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "skipped" in r.getMessage()]
    assert skips == [
        f"{code}: skipped 4 of 7 line(s) (line 2, 3, 5, 7): 2 without a tab or with an empty id or text, "
        "1 repeating an earlier id, 1 with an id valid.token.nl lacks",
        f"{nl}: skipped 3 of 6 line(s) (line 3, 5, 6): 1 without a tab or with an empty id or text, "
        "1 repeating an earlier id, 1 with an id valid.token.code lacks",
    ]
    assert read_tl_codesum(code, nl) == examples
    assert read_tl_codesum(code, nl, encoding="iso8859-1")[1].source == 'String cafe ( ) { return "café" ; }'


def test_tl_codesum_file_level_errors(tmp_path):
    code, nl = write_tl_codesum(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"missing\.nl"):
        read_tl_codesum(code, tmp_path / "missing.nl")
    other = tmp_path / "other.nl"
    other.write_text("8\tno id in common .\n")
    with pytest.raises(DataFormatError, match=r"no line of .*valid\.token\.code pairs by id with a line of .*other\.nl"):
        read_tl_codesum(code, other)


def test_tl_codesum_loads_from_a_config_spec(tmp_path):
    code, nl = write_tl_codesum(tmp_path)
    spec = {"format": "tl_codesum", "code_path": str(code), "nl_path": str(nl), "limit": 2}
    assert [(e.id, e.target) for e in load_examples(spec)] == [("1", "returns one ."), ("4", "returns cafe .")]
    with pytest.raises(ValueError, match=r"format 'tl_codesum' .*accepted keys: code_path, nl_path, encoding"):
        load_examples({"format": "tl_codesum", "code": str(code), "nl": str(nl)})


@pytest.mark.skipif(not TL_CODESUM_DIR.is_dir(), reason="shared TL-CodeSum data not present")
def test_tl_codesum_real_validation_split():
    examples, report = read_tl_codesum_with_report(
        TL_CODESUM_DIR / "valid.token.code", TL_CODESUM_DIR / "valid.token.nl"
    )
    assert len(examples) == 8714
    assert len({e.id for e in examples}) == 8714
    assert report.code.lines == report.nl.lines == 8714
    assert report.code.skipped == report.nl.skipped == report.code.replaced == report.nl.replaced == 0
    assert all(e.language == "java" and e.source and e.target for e in examples)
    [example] = [e for e in examples if e.id == "31356"]
    assert example.source.startswith("public int hashCode")
    assert example.target.startswith("this returns the hash code")
