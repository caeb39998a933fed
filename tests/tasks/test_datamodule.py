"""The data module keeps every sample: a failed or empty graph becomes a counted empty-graph fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tasks.datamodule import CodeTaskDataModule
from tasks.task import BUILTIN_TASKS, Task
from transducer.backbone import load_backbone
from transducer.config import TransducerConfig
from tests.tasks.harness_utils import TINY_T5


@pytest.fixture(scope="module")
def transducer_model():
    backbone, tokenizer = load_backbone(config=TINY_T5, tokenizer="byte")
    return TransducerConfig().build(backbone, tokenizer), tokenizer


def test_samples_with_failed_graphs_are_kept_with_empty_graphs(tmp_path: Path, transducer_model, monkeypatch, caplog) -> None:
    import cpg.extraction

    model, tokenizer = transducer_model
    data = tmp_path / "train.jsonl"
    rows = [
        {"id": "ok", "source": "int f(int a) { int b = a + 1; return b; }", "target": "adds one"},
        {"id": "empty", "source": "", "target": "nothing"},
        {"id": "crash", "source": "int g() { return CRASH; }", "target": "crashes the extractor"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    real_extract = cpg.extraction.extract_treesitter

    def flaky_extract(code, *args, **kwargs):
        if "CRASH" in code:
            raise RuntimeError("extractor bug")
        return real_extract(code, *args, **kwargs)

    monkeypatch.setattr(cpg.extraction, "extract_treesitter", flaky_extract)
    module = CodeTaskDataModule(train=str(data), batch_size=3, cpg_cache_dir=str(tmp_path / "cache"), extraction_workers=1)
    module.connect(tokenizer, seq2seq=True, graph_encoder=model.encode_graphs)
    with caplog.at_level("INFO"):
        samples = module._load_split("train")

    assert [s.id for s in samples] == ["ok", "empty", "crash"]
    assert samples[0].graph.num_nodes > 0
    assert samples[1].graph.num_nodes == 0 and samples[2].graph.num_nodes == 0
    assert "1 failed" in caplog.text

    batch = module.collator(samples)
    assert batch["graph"].num_graphs == 3
    output = model(batch["input_ids"], batch["attention_mask"], batch["labels"], batch["graph"])
    assert output.loss.isfinite()


def test_truncation_and_train_overlap_are_counted_logged_and_written(tmp_path, caplog) -> None:
    import json
    import logging

    from tests.tasks.harness_utils import make_config, run_cli

    long_source = "int f() { return " + " + ".join(["1"] * 60) + "; }"  # over 128 byte tokens
    config = make_config(tmp_path, "code_summarization", data={"predict": None})
    train = tmp_path / "train.jsonl"
    lines = train.read_text().splitlines()
    record = json.loads(lines[0])
    lines.append(json.dumps({**record, "id": "long", "source": long_source, "target": "x" * 40}))
    train.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.INFO, logger="lightning.pytorch.utilities.rank_zero"):
        run_cli("fit", "--config", str(config))
    logged = caplog.text
    # byte tokens: a target of 32 characters or more is cut (31 kept + </s>): the added one and
    # "checks whether the list is empty" (32 characters, also the second validation target)
    assert "[train] 7 examples, 1 sources cut at 128 tokens, 2 targets cut at 32 tokens" in logged
    # validation = the first 3 training pairs, test = pairs 4-6: every source also appears in train
    assert "[validation] 3 examples, 0 sources cut at 128 tokens, 1 targets cut at 32 tokens, 3 sources also in train" in logged
    run = sorted((tmp_path / "out" / "run").glob("version_*"))[-1]
    data = json.loads((run / "metrics_test.json").read_text())["data"]
    assert data == {"examples": 3, "truncated_sources": 0, "truncated_targets": 0, "sources_in_train": 3,
                    "lines_with_replaced_bytes": 0}


def test_length_grouped_sampler_keeps_every_sample_and_batches_similar_lengths() -> None:
    import random

    from tasks.datamodule import EpochShuffleSampler

    rng = random.Random(0)
    lengths = [rng.randint(10, 400) for _ in range(1000)]

    def batches(grouped: bool, epoch: int) -> list[list[int]]:
        sampler = EpochShuffleSampler(list(range(1000)), None, lengths=lengths if grouped else None, batch_size=8,
                                      num_replicas=1, rank=0, seed=3)
        sampler.epoch = epoch
        order = list(sampler)
        return [order[i : i + 8] for i in range(0, len(order), 8)]

    grouped = batches(True, 0)
    assert sorted(i for b in grouped for i in b) == list(range(1000))  # a permutation: nothing dropped or repeated
    assert grouped == batches(True, 0) and grouped != batches(True, 1)  # deterministic per epoch, reshuffled across

    def padding(bs: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in bs)

    assert padding(grouped) < 0.1 * padding(batches(False, 0))
    first_lengths = [max(lengths[i] for i in b) for b in grouped[:20]]
    assert first_lengths != sorted(first_lengths, reverse=True)  # batch order is random, not longest first


def test_a_warm_split_reads_its_encoded_graphs_from_the_cache(tmp_path: Path, transducer_model, monkeypatch, caplog) -> None:
    import torch

    from transducer.config import TransducerConfig

    model, tokenizer = transducer_model
    data = tmp_path / "train.jsonl"
    sources = ["int f(int a) { int b = a + 1; return b; }", "", "void g() { for (int i = 0; i < 3; i++) h(i); }"]
    data.write_text("".join(json.dumps({"id": str(i), "source": s, "target": "t"}) + "\n" for i, s in enumerate(sources)))

    def load(encoder_model) -> list:
        module = CodeTaskDataModule(train=str(data), cpg_cache_dir=str(tmp_path / "cache"), extraction_workers=1)
        module.connect(tokenizer, True, encoder_model.encode_graphs, encoder_model.graph_encoding_key())
        return module._load_split("train")

    cold = load(model)
    import tasks.datamodule

    monkeypatch.setattr(tasks.datamodule.CodeTaskDataModule, "_extract_graphs", lambda *a: pytest.fail("extracted again"))
    with caplog.at_level("INFO"):
        warm = load(model)
    assert "encoded graphs read from" in caplog.text
    # the extraction's counts are reported again (the empty source parses to a flagged partial graph)
    assert "[train] java graphs: 3 read from the encoded-graph cache; when extracted 1 were flagged, 0 truncated, 0 failed" in caplog.text
    for a, b in zip(cold, warm):
        assert set(a.graph.keys()) == set(b.graph.keys()) and a.graph.num_nodes == b.graph.num_nodes
        assert all(torch.equal(a.graph[k], b.graph[k]) for k in a.graph.keys() if torch.is_tensor(a.graph[k]))

    wider = TransducerConfig(max_node_tokens=24).build(model.backbone, tokenizer)  # another encoding: not this cache
    with pytest.raises(pytest.fail.Exception, match="extracted again"):
        load(wider)


def test_token_node_alignment_by_character_spans() -> None:
    from tasks.collate import token_node_alignment

    source = "int f() {\n  return 1;\n}"
    # nodes: the method (all), the return statement (line 1, columns 2-11), the literal "1" (line 1, column 9)
    spans = torch.tensor([[0, 0, 2, 1], [1, 2, 1, 11], [1, 9, 1, 10]])
    tokens = [(0, 3), (10, 18), (18, 20), (20, 21), (0, 0)]  # "int", "  return" (leading spaces), " 1", ";", end
    alignment = token_node_alignment(source, tokens, spans)
    assert alignment.tolist() == [
        [True, False, False],
        [True, True, False],  # its leading whitespace does not count
        [True, True, True],
        [True, True, False],
        [False, False, False],  # the end token lies in no node
    ]


def test_a_data_file_with_one_bad_byte_loads_with_one_counted_line(tmp_path: Path) -> None:
    """Every example is kept; the split's data report counts the one line decoded with a replacement character;
    ``encoding`` reads the same file exactly."""
    backbone, tokenizer = load_backbone(config=TINY_T5, tokenizer="byte")
    path = tmp_path / "train.jsonl"
    lines = ['{"source": "int a() { return 1; }", "target": "one"}', '{"source": "int b() { return 2; }", "target": "caf\xe9"}']
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    data = CodeTaskDataModule("code_summarization", train=str(path), batch_size=2)
    data.connect(tokenizer, True, None)
    data.setup("fit")
    assert [s.target for s in data.samples["train"]] == ["one", "caf\ufffd"]
    assert data.accounting["train"].lines_with_replaced_bytes == 1
    assert "1 line(s) with undecodable bytes" in data.accounting["train"].summary(400, 150)
    exact = CodeTaskDataModule("code_summarization", train=str(path), batch_size=2, encoding="iso8859-1")
    exact.connect(tokenizer, True, None)
    exact.setup("fit")
    assert exact.samples["train"][1].target == "café" and exact.accounting["train"].lines_with_replaced_bytes == 0
    with pytest.raises(LookupError, match="no-such-codec"):
        CodeTaskDataModule("code_summarization", train=str(path), encoding="no-such-codec")


def test_the_data_module_asks_the_lightning_module_what_its_method_needs(tmp_path: Path) -> None:
    """The data module does not look into the method: the Lightning module connects it (``connect_data``), from
    what the method declares (graphs, token-node alignment, few-shot demonstrations)."""
    from types import SimpleNamespace

    from transducer.methods import method_config

    _, tokenizer = load_backbone(config=TINY_T5, tokenizer="byte")
    path = tmp_path / "train.jsonl"
    path.write_text('{"source": "int a() { return 1; }", "target": "one"}\n')
    asked = []

    class Module:
        def connect_data(self, data: CodeTaskDataModule) -> None:
            asked.append(data)
            data.connect(tokenizer, True, None)

    data = CodeTaskDataModule("code_summarization", train=str(path), batch_size=1)
    data.trainer = SimpleNamespace(lightning_module=Module())
    data.setup("fit")
    assert asked == [data] and [s.target for s in data.samples["train"]] == ["one"]
    icl = method_config("icl", k=2)
    assert icl.demonstrations is icl and method_config("lora").demonstrations is None


def test_an_atlas_source_parses_once_its_focal_method_marker_is_blanked(tmp_path: Path, transducer_model) -> None:
    """ATLAS puts ``"<FocalMethod>"`` between the test and the focal method, which no Java parser accepts: the
    assert task blanks it for the extractor (same byte length, so token-node spans hold), the sample keeps it."""
    model, tokenizer = transducer_model
    source = ('void testAdd ( ) { Calc c = new Calc ( ) ; "<AssertPlaceHolder>" ; } "<FocalMethod>" '
              "int add ( int a , int b ) { return a + b ; }")
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"id": "0", "source": source, "target": "assertEquals ( 3 , c . add ( 1 , 2 ) )"}) + "\n")
    flagged = {}
    for task in ("assert_generation", "code_summarization"):  # the same source, with and without the blank
        module = CodeTaskDataModule(train=str(data), task=task, cpg_cache_dir=str(tmp_path / "cache"),
                                    extraction_workers=1)
        module.connect(tokenizer, True, model.encode_graphs)
        counts: list[dict[str, object]] = []
        module._extract_graphs(module._examples("train"), "train", counts)
        flagged[task] = counts[0]["flagged"]
        assert module._load_split("train")[0].source == source
    assert flagged == {"assert_generation": 0, "code_summarization": 1}
    blanked = BUILTIN_TASKS["assert_generation"].graph_code(source)
    assert '"<FocalMethod>"' not in blanked and len(blanked) == len(source)


def test_an_empty_graph_blank_is_refused() -> None:
    with pytest.raises(ValueError, match="graph_blanks"):
        Task("asserts", source_language="java", graph_blanks=("",))
