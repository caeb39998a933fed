"""In-context learning: BM25 or random demonstrations from train, within the token budget, never the query's own
answer; the harness prompts every split but train and trains nothing."""

from __future__ import annotations

import pytest

from tasks.data import Example
from tasks.icl import DemonstrationPrompter
from tasks.retrieval import bm25_tokens
from tests.tasks.harness_utils import make_config, read_jsonl, run_cli
from transducer.backbone import load_tokenizer

POOL = [
    Example("int add(int a, int b) { return a + b; }", "adds", "0"),
    Example("void clearList(List<String> xs) { xs.clear(); }", "clears", "1"),
    Example("int maxOf(int a, int b) { return a > b ? a : b; }", "max", "2"),
    Example("String getName() { return name; }", "name", "3"),
]


def _prompter(**options) -> DemonstrationPrompter:
    return DemonstrationPrompter(POOL, load_tokenizer("byte"), max_tokens=options.pop("max_tokens", 400), **options)


def test_bm25_puts_the_most_similar_demonstration_next_to_the_query() -> None:
    assert {"clearlist", "clear", "list"} <= set(bm25_tokens("clearList"))
    prompter = _prompter(k=2, example_template="{source} => {target}\n", query_template="{source} =>")
    prompt = prompter.prompt(Example("void clearItems(List<Integer> ys) { ys.clear(); }", "?", "q"))
    assert prompt.endswith("xs.clear(); } => clears\nvoid clearItems(List<Integer> ys) { ys.clear(); } =>")
    assert prompt.count("=>") == 3 and prompter.shots == [2]


def test_the_query_always_fits_and_its_own_copy_is_never_shown() -> None:
    query = Example(POOL[0].source, "adds", "q")
    prompter = _prompter(k=4, max_tokens=140, example_template="{source} => {target}\n", query_template="{source} =>")
    prompt = prompter.prompt(query)
    assert prompt.endswith(f"{query.source} =>") and prompt.count(query.source) == 1  # not its train duplicate
    assert prompter.skipped_duplicates == 1 and prompter.shots[0] < 3  # a 140-byte budget holds few shots
    assert len(prompt.encode()) + 1 <= 140


def test_random_selection_is_seeded_per_query() -> None:
    query = Example("int neg(int a) { return -a; }", "?", "q")
    prompter = _prompter(k=2, selection="random")
    assert prompter.prompt(query) == _prompter(k=2, selection="random").prompt(query) and prompter.shots == [2]
    with pytest.raises(ValueError, match="selection"):
        _prompter(selection="closest")


def test_the_harness_prompts_evaluation_splits_and_trains_nothing(tmp_path) -> None:
    config = make_config(tmp_path, "code_summarization",
                         method={"class_path": "transducer.methods.IclConfig", "init_args": {"k": 2}})
    cli = run_cli("test", "--config", str(config))
    assert cli.model.adapted_model.trainable_parameters()[0] == 0
    records = read_jsonl(next((tmp_path / "out" / "run").glob("version_*")) / "predictions_test.jsonl")
    # each source is a prompt with the query last; its train copy is never a shot, other shots fit in 128 bytes
    assert len(records) == 3 and all(r["source"].endswith("Output:\n") for r in records)
    assert any(r["source"].count("Output:") == 2 for r in records)
