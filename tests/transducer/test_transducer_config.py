"""TransducerConfig: validation, presets, and parameter budgets on the CodeT5+ 220M hidden size."""

from __future__ import annotations

import pytest
from torch import nn

from transducer.config import TransducerConfig
from transducer.model import Transducer

#: CodeT5+ 220M: vocabulary 32100, d_model 768 (the Transducer's size depends only on d_model)
CODET5P_EMBEDDING = (32100, 768)
PAPER_TRANSDUCER_PARAMS = 30_728
LORA_R8_QV_PARAMS = 884_736


def _trainable(config: TransducerConfig) -> int:
    transducer = Transducer(config, nn.Embedding(*CODET5P_EMBEDDING))
    return sum(p.numel() for p in transducer.trainable_state_dict().values())


def test_parameter_budgets_on_codet5p_220m():
    assert _trainable(TransducerConfig.small()) <= PAPER_TRANSDUCER_PARAMS
    assert _trainable(TransducerConfig()) < LORA_R8_QV_PARAMS
    assert _trainable(TransducerConfig.small(graph_mode="zero")) < _trainable(TransducerConfig.small())


def test_small_preset_and_overrides():
    config = TransducerConfig.small(dropout=0.0)
    assert (config.bottleneck_dim, config.num_layers, config.gnn_type, config.attention_dim) == (8, 1, "gatv2", 8)
    assert config.dropout == 0.0


def test_dict_round_trip():
    config = TransducerConfig(edge_types=["AST", "DDG"], gnn_type="rgcn")
    assert config.edge_types == ("AST", "DDG") and config.edge_type_ids == (0, 2)
    assert TransducerConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match=r"unknown TransducerConfig fields \['gnn'\]"):
        TransducerConfig.from_dict({"gnn": "gatv2"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gnn_type": "gat"}, r"TransducerConfig.gnn_type must be one of \('gatv2', 'gcn', 'gin', 'sage', 'rgcn'\)"),
        ({"graph_mode": "none"}, "TransducerConfig.graph_mode must be one of"),
        ({"fusion_key_source": "tokens"}, "TransducerConfig.fusion_key_source must be one of"),
        ({"node_kind": "hashed"}, "TransducerConfig.node_kind must be one of"),
        ({"pooling": "median"}, "TransducerConfig.pooling must be one of"),
        ({"bottleneck_dim": 0}, "TransducerConfig.bottleneck_dim must be a positive integer"),
        ({"num_layers": -1}, "TransducerConfig.num_layers"),
        ({"dropout": 1.5}, "TransducerConfig.dropout"),
        ({"edge_types": ("AST", "PDG")}, "TransducerConfig.edge_types must be a non-empty subset"),
        ({"edge_types": ()}, "TransducerConfig.edge_types must be a non-empty subset"),
        ({"gnn_type": "sage"}, "use_edge_types=True needs gnn_type"),
        ({"gnn_heads": 3}, "TransducerConfig.gnn_heads"),
        ({"attention_heads": 3}, "TransducerConfig.attention_heads"),
    ],
)
def test_validation_names_field_and_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TransducerConfig(**kwargs)
