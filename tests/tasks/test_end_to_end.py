"""End to end through the Lightning CLI on a tiny random backbone: fit → test → predict, per task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tasks.harness_utils import TINY_T5, make_config, read_jsonl, run_cli


def _single_run_dir(root: Path) -> Path:
    runs = sorted((root / "run").glob("version_*"))
    assert runs, f"no run folder under {root}"
    return runs[-1]


@pytest.mark.parametrize("task", ["code_summarization", "assert_generation", "code_translation", "code_generation"])
def test_fit_test_predict_and_adapter_reload(tmp_path: Path, task: str) -> None:
    config = make_config(tmp_path, task)
    run_cli("fit", "--config", str(config))

    run = _single_run_dir(tmp_path / "out")
    metrics = json.loads((run / "metrics_test.json").read_text())
    expected = {"code_summarization": "bleu", "assert_generation": "exact_match", "code_translation": "codebleu",
                "code_generation": "codebleu"}[task]
    assert expected in metrics and isinstance(metrics[expected], float)
    records = read_jsonl(run / "predictions_test.jsonl")
    assert len(records) == 3 and {"id", "prediction", "reference", expected} <= set(records[0])
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    assert (run / "loss_curve.png").stat().st_size > 0
    assert (tmp_path / "out" / "checkpoints" / "last.ckpt").is_file()

    # a fresh model from the exported adapter predicts what the tested (best) checkpoint predicted
    run_cli("predict", "--config", str(config), "--model.adapter", str(run / "adapter"))
    predicted = {r["source"]: r["prediction"] for r in read_jsonl(_single_run_dir(tmp_path / "out") / "predictions.jsonl")}
    tested = {r["source"]: r["prediction"] for r in records}
    assert len(predicted) == 2 and all(predicted[source] == tested[source] for source in predicted)

    run_cli(
        "test",
        "--config",
        str(config),
        "--model.adapter",
        str(run / "adapter"),
        "--data.test",
        str(tmp_path / "test.jsonl"),
    )
    reloaded = read_jsonl(_single_run_dir(tmp_path / "out") / "predictions_test.jsonl")
    assert [r["prediction"] for r in reloaded] == [r["prediction"] for r in records]


def test_checkpoint_holds_only_trainable_weights(tmp_path: Path) -> None:
    import torch

    config = make_config(tmp_path, "code_summarization", data={"test": None})
    cli = run_cli("fit", "--config", str(config))
    checkpoint = torch.load(tmp_path / "out" / "checkpoints" / "last.ckpt", weights_only=False)
    trainable = {f"adapted_model.{n}" for n, p in cli.model.adapted_model.named_parameters() if p.requires_grad}
    assert set(checkpoint["state_dict"]) == trainable
    assert not any(key.startswith("adapted_model.backbone.") for key in checkpoint["state_dict"])


def test_checkpoint_for_another_backbone_is_refused(tmp_path: Path) -> None:
    from transducer.adaptation import BackboneMismatchError

    config = make_config(tmp_path, "code_summarization", data={"test": None})
    run_cli("fit", "--config", str(config))
    with pytest.raises(BackboneMismatchError, match="checkpoint was trained for backbone .*fingerprint"):
        run_cli("validate", "--config", str(config), "--model.backbone.config.d_model", "48",
                "--ckpt_path", str(tmp_path / "out" / "checkpoints" / "last.ckpt"))


def test_test_before_fit_reports_untrained_next_to_adapted(tmp_path: Path, capsys) -> None:
    config = make_config(tmp_path, "code_translation", data={"predict": None})
    run_cli("fit", "--config", str(config), "--test_before_fit", "true")

    run = _single_run_dir(tmp_path / "out")
    untrained = json.loads((run / "metrics_test_before_fit.json").read_text())
    adapted = json.loads((run / "metrics_test.json").read_text())
    assert set(untrained) == set(adapted) and "corpus_bleu" in untrained
    assert len(read_jsonl(run / "predictions_test_before_fit.jsonl")) == 3
    table = capsys.readouterr().out
    header = next(line for line in table.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "untrained", "adapted"]
    row = next(line for line in table.splitlines() if line.startswith("test_corpus_bleu"))
    assert [float(v) for v in row.split()[1:]] == pytest.approx([untrained["corpus_bleu"], adapted["corpus_bleu"]], abs=0.006)


def test_validate_writes_outputs_and_commands_end_with_a_summary(tmp_path: Path, capsys) -> None:
    config = make_config(tmp_path, "code_summarization", data={"predict": None})
    run_cli("fit", "--config", str(config))
    summary = capsys.readouterr().out.split("transducer fit done; run folder")[-1]
    run = _single_run_dir(tmp_path / "out")
    for label, path in (("adapter", run / "adapter"), ("test metrics", run / "metrics_test.json"),
                        ("last checkpoint", tmp_path / "out" / "checkpoints" / "last.ckpt")):
        assert f"{label}" in summary and str(path) in summary
    timings = next(line for line in summary.splitlines() if line.strip().startswith("time:"))
    assert all(phase in timings for phase in ("graphs", "node-text tokenization", "training", "generation"))

    run_cli("validate", "--config", str(config), "--model.adapter", str(run / "adapter"))
    validated = _single_run_dir(tmp_path / "out")
    records = read_jsonl(validated / "predictions_validation.jsonl")
    assert len(records) == 3 and "bleu" in records[0]
    metrics = json.loads((validated / "metrics_validation.json").read_text())
    assert "bleu" in metrics and metrics["data"]["examples"] == 3
    assert str(validated / "metrics_validation.json") in capsys.readouterr().out


def test_code_generation_runs_the_transducer_graph_free_and_says_so(tmp_path: Path, caplog) -> None:
    config = make_config(tmp_path, "code_generation")
    with caplog.at_level("INFO"):
        cli = run_cli("fit", "--config", str(config), "--test_after_fit", "false")
    assert "natural-language sources: no graph to extract" in caplog.text and "graphs:" not in caplog.text
    samples = cli.datamodule.samples["train"]
    assert all(s.graph.num_nodes == 0 for s in samples)


def test_token_node_alignment_trains_and_generates_through_the_harness(tmp_path: Path) -> None:
    """The aligned transducer on a fast tokenizer (the shipped backbone's): batches carry the alignment, and
    validation without generation still selects checkpoints on dev loss."""
    backbone = {**TINY_T5, "vocab_size": 8192}
    config = make_config(
        tmp_path, "code_translation", method={"class_path": "transducer.config.TransducerConfig",
                                              "init_args": {"injection": "fusion", "token_node_alignment": True,
                                                            "graph_dim": 8}},
        backbone=backbone, data={"predict": None},
    )
    text = config.read_text().replace("tokenizer: byte", "tokenizer: models/code-t5-mini")
    config.write_text(text + "\n" if not text.endswith("\n") else text)
    cli = run_cli("fit", "--config", str(config), "--model.validation_generates", "false")
    batch = next(iter(cli.datamodule.train_dataloader()))
    alignment = batch["graph"].token_node_mask
    assert alignment.shape[:2] == batch["input_ids"].shape and alignment.any(dim=2).float().mean() > 0.5
    checkpoint = cli.trainer.checkpoint_callback
    assert (checkpoint.monitor, checkpoint.mode) == ("val_loss", "min") and checkpoint.best_model_path
    header = (_single_run_dir(tmp_path / "out") / "metrics.csv").read_text().splitlines()[0].split(",")
    assert "val_loss" in header and "val_corpus_bleu" not in header  # validation did not generate
    predictions = read_jsonl(_single_run_dir(tmp_path / "out") / "predictions_test.jsonl")
    assert len(predictions) == 3
