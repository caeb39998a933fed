"""Every Python and YAML block of the README runs as written, with the shipped backbone (models/code-t5-mini)
in place of hub models that would need a download, so the docs cannot drift from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.tasks.harness_utils import TASK_EXAMPLES, run_cli, write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_BACKBONE = REPO_ROOT / "models" / "code-t5-mini"
BLOCKS = re.findall(r"```(python|yaml)\n(.*?)```", (REPO_ROOT / "README.md").read_text(), flags=re.DOTALL)


def _offline(code: str) -> str:
    """The block with hub names and relative backbone paths pointing at the shipped backbone, and the bundled
    quickstart data by absolute path (the test runs in a temporary folder)."""
    for name in ('"Salesforce/codet5p-220m"', '"models/code-t5-mini"'):
        code = code.replace(name, repr(str(SHIPPED_BACKBONE)))
    code = code.replace("name_or_path: models/code-t5-mini", f"name_or_path: {SHIPPED_BACKBONE}")
    return code.replace(" tasks/data/quickstart/", f" {REPO_ROOT / 'tasks' / 'data' / 'quickstart'}/")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRANSDUCER_CACHE_DIR", str(tmp_path / "cpg_cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pairs = TASK_EXAMPLES["code_summarization"]
    for name in ("train", "valid", "test"):
        write_jsonl(tmp_path / f"{name}.jsonl", pairs)
    (tmp_path / "data" / "commits").mkdir(parents=True)
    write_jsonl(tmp_path / "data" / "commits" / "train.jsonl", pairs)
    return tmp_path


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    assert [language for language, _ in BLOCKS].count("python") >= 3 and any(lang == "yaml" for lang, _ in BLOCKS)


@pytest.mark.parametrize("index", [i for i, (language, _) in enumerate(BLOCKS) if language == "python"])
def test_python_block_runs(workdir: Path, index: int) -> None:
    code = _offline(BLOCKS[index][1]).replace("Trainer(max_epochs=1)", "Trainer(max_epochs=1, max_steps=2)")
    namespace: dict = {}
    exec(compile(code, f"README.md python block {index}", "exec"), namespace)  # noqa: S102 - the README's own code
    if "save_pretrained(" in code:  # blocks that save an adapter leave a loadable one
        saved = next(p for p in workdir.rglob("adapter_config.json"))
        assert json.loads(saved.read_text())["backbone_fingerprint"]
    _check_what_the_block_shows(code, namespace)


def _check_what_the_block_shows(code: str, namespace: dict) -> None:
    """What the README says each block gives: a loaded model and tokenizer, a trained and tested method, a
    transducer that encodes a graph and reloads its adapter."""
    if "AutoModelForSeq2SeqLM.from_pretrained" in code:  # the shipped backbone loads offline like a hub model
        model, tokenizer = namespace["model"], namespace["tokenizer"]
        assert model.config.model_type == "t5" and sum(p.numel() for p in model.parameters()) > 9_000_000
        assert next(model.parameters()).dtype.is_floating_point and next(model.parameters()).itemsize == 4  # fp32
        assert tokenizer.decode(tokenizer("int x = 1;")["input_ids"], skip_special_tokens=True) == "int x = 1;"
    elif "trainer.test(model, data)" in code:  # the library use trains, tests and reports the task's metrics
        metrics = namespace["trainer"].callback_metrics
        assert namespace["trainer"].global_step >= 1 and {"test_bleu", "test_exact_match"} <= set(metrics)
    elif "TransducerModel.from_pretrained" in code:  # a graph encodes; the adapter reloads into a TransducerModel
        from transducer import TransducerModel

        graph, model = namespace["graph"], namespace["model"]
        assert graph.num_nodes > 5 and graph.edge_index.shape[1] > 0
        assert isinstance(model, TransducerModel) and model.trainable_parameters()[0] > 0
    else:
        raise AssertionError(f"no check for what this README block shows:\n{code}")


@pytest.mark.parametrize("index", [i for i, (language, _) in enumerate(BLOCKS) if language == "yaml"])
def test_yaml_block_trains_as_written(workdir: Path, index: int) -> None:
    config = workdir / "config.yaml"
    config.write_text(_offline(BLOCKS[index][1]))
    run_cli("fit", "--config", str(config), "--trainer.max_steps", "2", "--trainer.default_root_dir", str(workdir / "out"))
    assert next((workdir / "out").rglob("adapter_model.safetensors")).stat().st_size > 0
