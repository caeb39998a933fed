"""Trainable parameter counts of the Transducer presets on the CodeT5+ 220M architecture, as markdown tables.

Counts depend only on the architecture, so the backbone is built from its config with random weights (on the
``meta`` device by default: no memory, no weights computed). Run: ``python benchmarks/count_parameters.py``.
"""

from __future__ import annotations

import argparse

import torch

from transducer.backbone import load_backbone
from transducer.config import TransducerConfig

#: the CodeT5+ 220M architecture (Salesforce/codet5p-220m)
CODET5P_220M = {
    "model_type": "t5", "vocab_size": 32100, "d_model": 768, "d_ff": 3072, "num_layers": 12,
    "num_decoder_layers": 12, "num_heads": 12, "d_kv": 64, "decoder_start_token_id": 0,
}  # fmt: skip

#: trainable parameters of other methods on CodeT5+ 220M, as reported for comparison, and whether they come on top
#: of the backbone's (every method but full fine-tuning adds its own)
REFERENCES = {
    "Full fine-tuning": (222_882_048, False),
    "LoRA r=8 (q, v)": (884_736, True),
    "Prefix tuning (10 tokens)": (184_320, True),
    "Prompt tuning (25 tokens)": (38_400, True),
    "Transducer, paper release": (30_728, True),
}

PRESETS = {"Transducer default": TransducerConfig(), "Transducer fusion": TransducerConfig(injection="fusion"),
           "Transducer small": TransducerConfig.small()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="meta", help="where to build the backbone ('meta': shapes only; 'cpu')")
    args = parser.parse_args(argv)
    with torch.device(args.device):
        backbone, tokenizer = load_backbone(config=CODET5P_220M, tokenizer="byte")
    backbone_total = sum(p.numel() for p in backbone.parameters())
    breakdowns = {}
    rows = [(f"{name} (reference)", count, backbone_total + count * adds) for name, (count, adds) in REFERENCES.items()]
    for name, config in PRESETS.items():
        model = config.build(backbone, tokenizer)
        breakdowns[name] = model.transducer.parameter_breakdown()
        rows.append((f"**{name}** (this build)", *model.trainable_parameters()))

    print(f"Backbone: CodeT5+ 220M architecture, {backbone_total:,d} parameters (frozen)\n")
    print("| Method | Trainable parameters | Trainable % of all parameters |")
    print("|---|---:|---:|")
    for name, count, total in rows:
        print(f"| {name} | {count:,d} | {100 * count / total:.4f}% |")

    components = list(dict.fromkeys(c for breakdown in breakdowns.values() for c in breakdown))
    print("\nPer-component breakdown (trainable parameters):\n")
    print("| Component | " + " | ".join(breakdowns) + " |")
    print("|---|" + "---:|" * len(breakdowns))
    for component in components:
        print(f"| {component} | " + " | ".join(f"{b.get(component, 0):,d}" for b in breakdowns.values()) + " |")
    print("| **total** | " + " | ".join(f"{sum(b.values()):,d}" for b in breakdowns.values()) + " |")


if __name__ == "__main__":
    main()
