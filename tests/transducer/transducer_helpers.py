"""Tiny random backbones and hand-built code property graphs for the Transducer tests (no downloads)."""

from __future__ import annotations

import torch

from cpg.graph import CodePropertyGraph, Edge, EdgeType, Node
from transducer.backbone import load_backbone

TINY_T5 = {
    "model_type": "t5", "vocab_size": 384, "d_model": 32, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2,
    "num_heads": 2, "d_kv": 16, "decoder_start_token_id": 0,
}
TINY_GPT2 = {"model_type": "gpt2", "vocab_size": 384, "n_embd": 32, "n_layer": 2, "n_head": 2, "n_positions": 128,
    "bos_token_id": 1, "eos_token_id": 1,
}


def make_backbone(config: dict):
    """A random tiny backbone in eval mode (deterministic outputs) and ByT5's byte tokenizer."""
    torch.manual_seed(0)
    model, tokenizer = load_backbone(config=config, tokenizer="byte")
    return model.eval(), tokenizer


def toy_cpg(variant: int = 0) -> CodePropertyGraph:
    """A 4-node Java-like graph; ``variant`` changes node texts (same structure)."""
    value = ["1", "42", "x + y"][variant]
    nodes = [
        Node("method_declaration", f"int f() {{ return {value}; }}", (0, 0), (0, 20)),
        Node("block", f"{{ return {value}; }}", (0, 8), (0, 20)),
        Node("return_statement", f"return {value};", (0, 10), (0, 18)),
        Node("expression", value, (0, 17), (0, 18)),
    ]
    edges = [
        Edge(0, 1, EdgeType.AST), Edge(1, 2, EdgeType.AST), Edge(2, 3, EdgeType.AST),
        Edge(0, 2, EdgeType.CFG), Edge(3, 2, EdgeType.DDG), Edge(1, 2, EdgeType.CDG),
    ]
    return CodePropertyGraph(language="java", backend="test", nodes=nodes, edges=edges)


def empty_cpg() -> CodePropertyGraph:
    return CodePropertyGraph(language="java", backend="test")
