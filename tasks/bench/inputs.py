"""The synthetic batch every method of ``transducer bench`` sees: random token ids and random code property graphs."""

from __future__ import annotations

import random
from typing import Any

import torch

from cpg.graph import CodePropertyGraph, Edge, EdgeType, Node
from tasks.bench.settings import FIRST_RANDOM_TOKEN_ID, BenchSettings

_STATEMENT_KINDS = ("local_variable_declaration", "expression_statement", "if_statement", "return_statement",
                    "for_statement", "while_statement")  # fmt: skip
_BRANCHING_KINDS = ("if_statement", "for_statement", "while_statement")
_EXPRESSION_KINDS = ("method_invocation", "binary_expression", "assignment_expression", "field_access",
                     "argument_list", "array_access", "object_creation_expression")  # fmt: skip
_LEAF_KINDS = ("identifier", "decimal_integer_literal", "string_literal", "type_identifier")
_WORDS = ("count", "items", "size", "result", "index", "value", "name", "buffer", "list", "map", "get", "put",
          "length", "i", "j", "0", "1", "null", "this", "return", "int", "String", "new", "=", "+", "<", "(", ")",
          ".", ";", "{", "}")  # fmt: skip


def synthetic_cpg(num_nodes: int, rng: random.Random) -> CodePropertyGraph:
    """A random but Java-method-shaped code property graph of ``num_nodes`` nodes.

    AST: a random tree rooted at a ``method_declaration``; a fifth of the nodes are statements, chained by CFG
    edges (branching statements also jump ahead), with DDG edges from statements to later ones and CDG edges
    from branching statements to the statements after them; half are leaves (identifiers, literals, types).
    Edge counts are of the order of tree-sitter CPGs of real Java methods (a 9-line loop: 47 nodes, 46 AST,
    8 CFG, 8 DDG, 2 CDG).
    """
    if num_nodes < 1:
        raise ValueError(f"a graph needs at least one node, got num_nodes={num_nodes}")
    nodes, edges, statements = [], [], []
    for index in range(num_nodes):
        if index == 0:
            kind = "method_declaration"
        else:
            draw = rng.random()
            kind = rng.choice(_STATEMENT_KINDS if draw < 0.2 else _EXPRESSION_KINDS if draw < 0.5 else _LEAF_KINDS)
            edges.append(Edge(rng.randrange(max(0, index - 6), index), index, EdgeType.AST))
        if kind in _STATEMENT_KINDS:
            statements.append((index, kind))
        words = 60 if index == 0 else rng.randint(1, 12)
        text = " ".join(rng.choice(_WORDS) for _ in range(words))
        nodes.append(Node(kind, text, (index, 0), (index, len(text))))
    for position, (index, kind) in enumerate(statements):
        later = [s for s, _ in statements[position + 1 :]]
        if later:
            edges.append(Edge(index, later[0], EdgeType.CFG))
            if rng.random() < 0.8:  # a variable defined here is used later
                edges.append(Edge(index, rng.choice(later), EdgeType.DDG))
        if kind in _BRANCHING_KINDS and len(later) > 1:
            edges.append(Edge(index, later[1], EdgeType.CFG))  # the branch that skips the next statement
            edges += [Edge(index, target, EdgeType.CDG) for target in later[:2]]
    return CodePropertyGraph(language="java", backend="synthetic", nodes=nodes, edges=edges)


def synthetic_batch(settings: BenchSettings, model: Any, vocab_size: int) -> dict[str, Any]:
    """Training and generation inputs for ``model`` (an ``AdaptedModel``) on ``settings.device``."""
    from torch_geometric.data import Batch

    generator = torch.Generator().manual_seed(settings.seed)
    shape = settings.batch_size
    source = torch.randint(FIRST_RANDOM_TOKEN_ID, vocab_size, (shape, settings.source_length), generator=generator)
    target = torch.randint(FIRST_RANDOM_TOKEN_ID, vocab_size, (shape, settings.target_length), generator=generator)
    if model.backbone.config.is_encoder_decoder:
        train = {"input_ids": source, "attention_mask": torch.ones_like(source), "labels": target}
    else:
        input_ids = torch.cat([source, target], dim=1)
        labels = input_ids.masked_fill(torch.arange(input_ids.shape[1]) < settings.source_length, -100)
        train = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids), "labels": labels}
    graph = None
    if model.uses_graph:
        rng = random.Random(settings.seed)
        graph = Batch.from_data_list(
            [model.encode_graph(synthetic_cpg(settings.nodes_per_graph, rng)) for _ in range(shape)]
        ).to(settings.device)
    device = settings.device
    return {
        "train": {**{key: value.to(device) for key, value in train.items()}, "graph": graph},
        "generate": {"input_ids": source.to(device), "attention_mask": torch.ones_like(source).to(device), "graph": graph},
    }
