import json
import math

import pytest
import sacrebleu

from tasks.metrics import (
    METRICS,
    codebleu_language,
    compute_metrics,
    read_instance_scores,
    repeats_itself,
    smoothed_sentence_bleu,
    write_predictions,
)

JAVA_ADD = "public int add(int a, int b) { int s = a + b; return s; }"
JAVA_LOOP = "public int total(int[] xs) { int s = 0; for (int x : xs) { s += x; } return s; }"
JAVA_LOOP_CHANGED = "public int total(int[] xs) { int s = 1; for (int x : xs) { s *= x; } return s; }"


# --- CodeXGLUE smoothed sentence BLEU -----------------------------------------------------------------------


def test_smoothed_bleu_hand_computed_cases():
    # 3 of 3 unigrams, bigrams (2+1)/(2+1), trigrams (1+1)/(1+1), 4-grams (0+1)/(0+1) all match: precision 1;
    # brevity penalty exp(1 - (7 + 1) / (3 + 1)) = exp(-1).
    assert smoothed_sentence_bleu("returns the sum", "returns the sum of a and b") == pytest.approx(math.exp(-1))
    # p1 = 3/4, p2 = (2+1)/(3+1), p3 = (1+1)/(2+1), p4 = (0+1)/(1+1); equal lengths, no penalty.
    expected = (3 / 4 * 3 / 4 * 2 / 3 * 1 / 2) ** (1 / 4)
    assert smoothed_sentence_bleu("a b c d", "a b c e") == pytest.approx(expected)
    assert smoothed_sentence_bleu("hello", "hello") == pytest.approx(1.0)  # smoothing: short exact match is 1


def test_smoothed_bleu_matches_codexglue_evaluator_values():
    # Values produced by CodeXGLUE's code-to-text evaluator (computeMaps + bleu) for the same pairs.
    cases = [
        (
            "Returns the value of the 3.5-inch field.",
            "returns the value of field &quot;x&quot; (3-4 times)",
            20.227626184767043,
        ),
        ("public int add(int a, int b) {return a+b;}", "public int Add(int a, int b){return a + b;}", 100.0),
        ("checks whether the list is empty", "check if list empty", 22.95748846661433),
        ("", "sum of values", 4.978706836786395),  # empty prediction: exp(-reference length), as in CodeXGLUE
    ]
    for prediction, reference, value in cases:
        assert 100 * smoothed_sentence_bleu(prediction, reference) == pytest.approx(value, rel=1e-12)


def test_bleu_corpus_is_mean_of_instances_and_case_punctuation_insensitive():
    predictions = ["Returns X.", "adds a and b", "nothing alike"]
    references = ["returns x .", "adds a and b", "sums the array"]
    result = compute_metrics(predictions, references, ["bleu"])
    scores = [instance["bleu"] for instance in result.per_instance]
    assert scores[0] == pytest.approx(100.0) and scores[1] == pytest.approx(100.0)
    assert scores[2] < 1e-6
    assert result.corpus["bleu"] == pytest.approx(sum(scores) / 3)


# --- sacreBLEU ----------------------------------------------------------------------------------------------


def test_sacrebleu_agrees_with_sacrebleu_package():
    predictions = ["the cat sat on the mat", "a quick brown fox", "returns the sum of a and b"]
    references = ["the cat sat on a mat", "the quick brown fox jumps", "returns the sum of a and b"]
    result = compute_metrics(predictions, references, ["sacrebleu"])
    assert result.corpus["sacrebleu"] == pytest.approx(sacrebleu.corpus_bleu(predictions, [references]).score)
    for instance, prediction, reference in zip(result.per_instance, predictions, references):
        assert instance["sacrebleu"] == pytest.approx(sacrebleu.sentence_bleu(prediction, [reference]).score)
    assert result.per_instance[2]["sacrebleu"] == pytest.approx(100.0)
    assert result.info["sacrebleu_signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")


# --- exact match --------------------------------------------------------------------------------------------


def test_exact_match_counts_whitespace_normalised_equality():
    predictions = ["return  a +\tb;", "Return a + b;", "x", "y"]
    references = ["return a + b;\n", "return a + b;", "x", "z"]
    result = compute_metrics(predictions, references, ["exact_match"])
    assert [i["exact_match"] for i in result.per_instance] == [100.0, 0.0, 100.0, 0.0]
    assert result.corpus["exact_match"] == pytest.approx(50.0)


# --- CodeBLEU -----------------------------------------------------------------------------------------------


def test_codebleu_identical_code_is_100_and_changed_code_lower():
    result = compute_metrics([JAVA_LOOP, JAVA_LOOP_CHANGED], [JAVA_LOOP, JAVA_LOOP], ["codebleu"], "java")
    identical, changed = (instance["codebleu"] for instance in result.per_instance)
    assert identical == pytest.approx(100.0)
    assert 0.0 < changed < 90.0
    assert result.corpus["codebleu"] < 100.0
    assert set(result.corpus) == {
        "codebleu",
        "codebleu_ngram_match",
        "codebleu_weighted_ngram_match",
        "codebleu_syntax_match",
        "codebleu_dataflow_match",
    }
    single = compute_metrics([JAVA_LOOP], [JAVA_LOOP], ["codebleu"], "java")
    assert single.corpus["codebleu"] == pytest.approx(100.0)


def test_codebleu_language_names():
    assert codebleu_language("java") == "java"
    assert codebleu_language("cs") == "c_sharp"
    assert codebleu_language("Python") == "python"
    with pytest.raises(ValueError, match="codebleu needs the code language"):
        compute_metrics(["x"], ["x"], ["codebleu"])
    with pytest.raises(ValueError, match="does not support language 'cobol'"):
        codebleu_language("cobol")


# --- the entry point ----------------------------------------------------------------------------------------


def test_per_instance_scores_align_with_inputs():
    predictions = [JAVA_ADD, JAVA_LOOP_CHANGED, "int f() { return 0; }"]
    references = [JAVA_ADD, JAVA_LOOP, JAVA_LOOP]
    names = ["bleu", "sacrebleu", "exact_match", "codebleu"]
    result = compute_metrics(predictions, references, names, "java")
    assert result.num_examples == 3 and len(result.per_instance) == 3
    for index, (prediction, reference) in enumerate(zip(predictions, references)):
        alone = compute_metrics([prediction], [reference], names, "java").per_instance[0]
        assert result.per_instance[index] == pytest.approx(alone)
    assert result.per_instance[0]["exact_match"] == 100.0 and result.per_instance[1]["exact_match"] == 0.0
    assert result.per_instance[1]["bleu"] > result.per_instance[2]["bleu"]


def test_compute_metrics_input_errors():
    with pytest.raises(ValueError, match=r"unknown metric\(s\) 'rouge'; available: bleu, corpus_bleu, sacrebleu, exact_match"):
        compute_metrics(["a"], ["a"], ["bleu", "rouge"])
    with pytest.raises(ValueError, match="prediction list is empty"):
        compute_metrics([], [], ["bleu"])
    with pytest.raises(ValueError, match="got 2 predictions but 1 references"):
        compute_metrics(["a", "b"], ["a"], ["bleu"])
    with pytest.raises(ValueError, match="no metrics requested"):
        compute_metrics(["a"], ["a"], [])
    assert set(METRICS) == {"bleu", "corpus_bleu", "sacrebleu", "exact_match", "codebleu", "chrf", "length_ratio", "repetition"}


def test_per_instance_can_be_skipped():
    result = compute_metrics(["a b"], ["a b"], ["bleu", "codebleu"], "python", per_instance=False)
    assert result.per_instance == [] and result.num_examples == 1
    assert result.corpus["bleu"] == pytest.approx(100.0)


# --- output files -------------------------------------------------------------------------------------------


def test_write_predictions_and_metrics_then_read_scores_back(tmp_path):
    records = [
        {"id": "a", "source": "int f() {}", "reference": "returns nothing", "prediction": "returns nothing"},
        {"id": "b", "reference": "returns zero", "prediction": "returns one", "beam": 2},
    ]
    predictions = [r["prediction"] for r in records]
    result = compute_metrics(predictions, [r["reference"] for r in records], ["bleu", "exact_match"])
    predictions_path, metrics_path = write_predictions(tmp_path / "run", "test", records, result)
    assert predictions_path == tmp_path / "run" / "predictions_test.jsonl"
    assert metrics_path == tmp_path / "run" / "metrics_test.json"
    lines = [json.loads(line) for line in predictions_path.read_text().splitlines()]
    assert lines[0] == {
        "id": "a",
        "source": "int f() {}",
        "prediction": "returns nothing",
        "reference": "returns nothing",
        "bleu": pytest.approx(100.0),
        "exact_match": 100.0,
    }
    assert list(lines[1]) == ["id", "prediction", "reference", "beam", "bleu", "exact_match"]
    assert json.loads(metrics_path.read_text()) == {**result.corpus, "num_examples": 2}
    assert isinstance(json.loads(metrics_path.read_text())["bleu"], float)
    assert read_instance_scores(predictions_path, "exact_match") == {"a": 100.0, "b": 0.0}
    with pytest.raises(ValueError, match=r"no per-instance score 'codebleu'; it has: bleu, exact_match"):
        read_instance_scores(predictions_path, "codebleu")


def test_write_predictions_checks_records(tmp_path):
    result = compute_metrics(["x", "y"], ["x", "z"], ["exact_match"], per_instance=False)
    with pytest.raises(ValueError, match="got 1 records but the metrics scored 2 examples"):
        write_predictions(tmp_path, "test", [{"id": "0", "prediction": "x", "reference": "x"}], result)
    incomplete = [{"id": "0", "prediction": "x", "reference": "x"}, {"id": "1", "prediction": "y"}]
    with pytest.raises(ValueError, match="record 1 lacks reference"):
        write_predictions(tmp_path, "test", incomplete, result)
    records = [{"id": str(i), "prediction": p, "reference": r} for i, (p, r) in enumerate([("x", "x"), ("y", "z")])]
    predictions_path, _ = write_predictions(tmp_path, "valid", records, result)
    assert [json.loads(line) for line in predictions_path.read_text().splitlines()] == records  # no scores to add


def test_corpus_bleu_hand_computed_and_codexglue_values():
    from tasks.metrics.corpus_bleu import corpus_bleu

    # matches 3/2/1/0 of 4/3/2/1 possible, add-one smoothed: (4/5 * 3/4 * 2/3 * 1/2) ** (1/4)
    assert corpus_bleu(["a b c d"], ["a b c e"]) == pytest.approx(100 * 0.2**0.25)
    # corpus level: statistics are summed before the score (not a mean of sentence scores); predictions 6 tokens,
    # references 8: brevity penalty exp(1 - 8/6); matches 5/3/1/0 of 6/4/2/1
    expected = 100 * math.exp(1 - 8 / 6) * ((6 / 7) * (4 / 5) * (2 / 3) * (1 / 2)) ** 0.25
    assert corpus_bleu(["a b c d", "x y"], ["a b c e", "x y z w"]) == pytest.approx(expected)
    # the value CodeXGLUE's code-to-code evaluator (bleu._bleu) prints for these two pairs: 49.54395338241775
    assert corpus_bleu(["a b c d", "x y"], ["a b c e", "x y z w"]) == pytest.approx(49.54395338241775, rel=1e-12)
    assert corpus_bleu([""], ["a b"]) == 0.0  # an empty corpus of predictions has brevity penalty 0


def test_corpus_bleu_metric_corpus_is_not_mean_of_instances():
    result = compute_metrics(["a b c d", "x y"], ["a b c e", "x y z w"], ["corpus_bleu"])
    instances = [instance["corpus_bleu"] for instance in result.per_instance]
    assert instances[0] == pytest.approx(100 * 0.2**0.25)
    assert result.corpus["corpus_bleu"] == pytest.approx(49.54395338241775)
    assert result.corpus["corpus_bleu"] != pytest.approx(sum(instances) / 2)


def test_length_ratio_counts_whitespace_tokens_over_the_references() -> None:
    result = compute_metrics(["a b c d", "x"], ["a b", "x y"], ("length_ratio",))
    assert result.corpus["length_ratio"] == pytest.approx(5 / 4)
    assert [i["length_ratio"] for i in result.per_instance] == [2.0, 0.5]


def test_repetition_flags_loops_beyond_the_reference_only() -> None:
    loop = "return x ; } " * 3
    assert repeats_itself(loop, "return x ; }")
    assert not repeats_itself(loop, loop)  # the reference repeats it as often: legitimate code
    assert not repeats_itself("return x ; } return x ; }", "y")  # twice is not a loop
    result = compute_metrics([loop, "int a = 1 ;"], ["return x ; }", "int a = 1 ;"], ("repetition",))
    assert result.corpus["repetition"] == 50.0


def test_chrf_is_sacrebleu_chrf_and_forgives_run_on_more_than_bleu() -> None:
    from sacrebleu.metrics import CHRF

    reference = "public int Add ( int a , int b ) { return a + b ; }"
    run_on = reference + " return a + b ; }" * 6
    result = compute_metrics([run_on], [reference], ("chrf", "corpus_bleu"))
    assert result.corpus["chrf"] == pytest.approx(CHRF().corpus_score([run_on], [[reference]]).score)
    exact = compute_metrics([reference], [reference], ("chrf", "corpus_bleu")).corpus
    assert exact["chrf"] - result.corpus["chrf"] < exact["corpus_bleu"] - result.corpus["corpus_bleu"]
