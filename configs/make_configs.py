"""Write ``configs/<task>/<method>.yaml`` for every built-in task and adaptation method.

Every config of a task shares the same data, trainer and generation settings (the paper's: AdamW, constant
schedule, batch 8, one epoch, max length 400, beam 2, up to 150 new tokens), so the methods compare apples to
apples; only ``model.method`` (and the learning rate of the methods that update backbone weights) differ.

    python configs/make_configs.py            # rewrite the YAML files
    python configs/make_configs.py --check    # exit 1 if a YAML file is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).parent
BACKBONE = "Salesforce/codet5p-220m"

# Data layout expected under ./data (override any path with --data.<split>.<key> on the command line).
# Summarization and assert generation read what `transducer data build all` writes to data/built (real Java projects,
# split by project; README "Real data"). TL-CodeSum, an external summarization set, can replace the test split:
# --data.test '{format: tl_codesum, code_path: ../shared/data/tl-codesum/valid.token.code, nl_path: ...valid.token.nl}'
BUILT = "data/built"
TASK_DATA: dict[str, dict[str, Any]] = {
    "code_summarization": {
        "task": "code_summarization",
        **{split: {"format": "jsonl", "path": f"{BUILT}/code_summarization/{split}.jsonl"}
           for split in ("train", "validation", "test")},
    },
    "assert_generation": {
        "task": "assert_generation",
        **{split: {"format": "atlas", "source_path": f"{BUILT}/assert_generation/{folder}/testMethods.txt",
                   "target_path": f"{BUILT}/assert_generation/{folder}/assertLines.txt"}
           for split, folder in (("train", "Training"), ("validation", "Eval"), ("test", "Testing"))},
    },
    "code_translation": {
        "task": "code_translation",
        "train": {"format": "codexglue_translation", "source_path": "data/codexglue-java-cs/train.java-cs.txt.java",
                  "target_path": "data/codexglue-java-cs/train.java-cs.txt.cs"},
        "validation": {"format": "codexglue_translation",
                       "source_path": "data/codexglue-java-cs/valid.java-cs.txt.java",
                       "target_path": "data/codexglue-java-cs/valid.java-cs.txt.cs"},
        "test": {"format": "codexglue_translation", "source_path": "data/codexglue-java-cs/test.java-cs.txt.java",
                 "target_path": "data/codexglue-java-cs/test.java-cs.txt.cs"},
    },
    # CoNaLa (intent -> Python); the transducer runs graph-free here: the source is English, not code
    "code_generation": {
        "task": "code_generation",
        "train": {"format": "conala", "path": "data/conala/conala-train.json"},
        "validation": {"format": "conala", "path": "data/conala/conala-dev.json"},
        "test": {"format": "conala", "path": "data/conala/conala-test.json"},
    },
}

#: backbone options a method needs besides the name (qlora: a quantized backbone)
BACKBONE_OPTIONS: dict[str, dict[str, Any]] = {"qlora": {"quantization": "nf4"}}

# method file name -> (model.method, learning rate)
METHODS: dict[str, tuple[dict[str, Any], float]] = {
    # the default: the graph as 8 soft tokens in front of the input (G-Retriever/GALLa style)
    "transducer": ({"class_path": "transducer.config.TransducerConfig"}, 3e-4),
    # the graph fused into every input token's embedding (a bounded per-token cross-attention update)
    "transducer_fusion": ({"class_path": "transducer.config.TransducerConfig", "init_args": {"injection": "fusion"}},
                          3e-4),
    # TransducerConfig.small(): the paper's fusion design, at or below its 30,728 trainable parameters
    "transducer_small": ({"class_path": "transducer.config.TransducerConfig", "init_args": {
        "injection": "fusion", "bottleneck_dim": 8, "num_layers": 1, "gnn_heads": 1, "graph_dim": 8,
        "attention_dim": 8, "attention_heads": 1}}, 3e-4),
    # the ablation: the fusion trained on zero graph features (what the graph contributes)
    "transducer_no_graph": ({"class_path": "transducer.config.TransducerConfig", "init_args": {
        "graph_mode": "zero", "injection": "fusion"}}, 3e-4),
    # the graph as 8 key/value prefix positions in every decoder self-attention layer (Pass-Tuning style)
    "transducer_prefix": ({"class_path": "transducer.config.TransducerConfig", "init_args": {"injection": "prefix"}},
                          3e-4),
    "lora": ({"class_path": "transducer.methods.LoraMethodConfig", "init_args": {"r": 8, "lora_alpha": 32}}, 3e-4),
    # LoRA on the backbone quantized to 4-bit NF4 (bitsandbytes, CUDA); on CPU set model.backbone.quantization: int8
    "qlora": ({"class_path": "transducer.methods.QLoraMethodConfig", "init_args": {"r": 8, "lora_alpha": 32}}, 3e-4),
    "ia3": ({"class_path": "transducer.methods.IA3MethodConfig"}, 3e-4),
    "prompt_tuning": ({"class_path": "transducer.methods.PromptTuningMethodConfig",
                       "init_args": {"num_virtual_tokens": 25}}, 3e-4),
    "prefix_tuning": ({"class_path": "transducer.methods.PrefixTuningMethodConfig",
                       "init_args": {"num_virtual_tokens": 10}}, 3e-4),
    "linear_adapter": ({"class_path": "transducer.methods.LinearAdapterConfig"}, 3e-4),
    "layer_freezing": ({"class_path": "transducer.methods.LayerFreezingConfig"}, 5e-5),
    # CodeT5+'s recipe: encoder and decoder cross-attention trained, the rest of the decoder frozen
    "frozen_decoder": ({"class_path": "transducer.methods.FrozenDecoderConfig"}, 5e-5),
    "full_finetune": ({"class_path": "transducer.methods.FullFinetuneConfig"}, 5e-5),
    "no_finetune": ({"class_path": "transducer.methods.NoFinetuneConfig"}, 3e-4),
    # in-context learning: 4 demonstrations from train, most similar by BM25 (nothing trains)
    "icl": ({"class_path": "transducer.methods.IclConfig", "init_args": {"k": 4, "selection": "bm25"}}, 3e-4),
}


def build_config(task: str, method: str) -> dict[str, Any]:
    method_config, learning_rate = METHODS[method]
    return {
        "seed_everything": 42,
        "trainer": {
            "max_epochs": 1,
            "precision": "auto",  # bf16-mixed where the device computes bf16 natively, else fp32
            "val_check_interval": 0.25,
            "default_root_dir": f"outputs/{task}/{method}",
        },
        "model": {
            "backbone": {"name_or_path": BACKBONE, **BACKBONE_OPTIONS.get(method, {})},
            "method": method_config,
            "learning_rate": learning_rate,
            "generation": {"num_beams": 2, "max_new_tokens": 150},
        },
        "data": {**TASK_DATA[task], "batch_size": 8, "max_source_length": 400, "max_target_length": 150},
    }


def render(task: str, method: str) -> str:
    header = (
        f"# {task} with {method} on {BACKBONE} (generated by configs/make_configs.py; edit that, not this file).\n"
        f"# transducer fit --config configs/{task}/{method}.yaml\n"
    )
    return header + yaml.safe_dump(build_config(task, method), sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the YAML files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for task in TASK_DATA:
        for method in METHODS:
            path = CONFIG_DIR / task / f"{method}.yaml"
            text = render(task, method)
            if args.check:
                if not path.is_file() or path.read_text() != text:
                    stale.append(str(path))
            else:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text)
    if stale:
        print("out of date (run python configs/make_configs.py):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
