"""AttentionFusion: identity at init, graph- and token-dependent updates, masks respected."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from transducer.fusion import AttentionFusion
from transducer.gve import GraphFeatures

HIDDEN, GRAPH_DIM = 16, 6


def _fusion(key_source: str = "nodes", trained: bool = True) -> AttentionFusion:
    torch.manual_seed(0)
    fusion = AttentionFusion(HIDDEN, GRAPH_DIM, attention_dim=8, num_heads=2, dropout=0.0, key_source=key_source)
    if trained:  # stands in for training: the zero-initialized output projection becomes non-zero
        nn.init.normal_(fusion.output.weight)
    return fusion.eval()


def _graph(seed: int = 0, counts: tuple[int, ...] = (3, 2)) -> GraphFeatures:
    generator = torch.Generator().manual_seed(seed)
    mask = torch.arange(max(counts)).unsqueeze(0) < torch.tensor(counts).unsqueeze(1)
    nodes = torch.randn(len(counts), max(counts), GRAPH_DIM, generator=generator) * mask.unsqueeze(-1)
    pooled = nodes.sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1)
    return GraphFeatures(nodes=nodes, node_mask=mask, pooled=pooled)


def _tokens(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    tokens = torch.randn(2, 5, HIDDEN, generator=torch.Generator().manual_seed(seed))
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    return tokens, mask


def test_identity_at_init():
    fusion = _fusion(trained=False)
    tokens, mask = _tokens()
    assert torch.equal(fusion(tokens, mask, _graph()), tokens)


@pytest.mark.parametrize("key_source", ["nodes", "pooled"])
def test_output_depends_on_graph_and_tokens(key_source):
    fusion = _fusion(key_source)
    tokens, mask = _tokens()
    fused = fusion(tokens, mask, _graph(0))
    assert fused.shape == tokens.shape
    other_graph = fusion(tokens, mask, _graph(1))
    assert not torch.allclose(fused[mask], other_graph[mask])
    other_tokens, _ = _tokens(1)
    assert not torch.allclose(fusion(other_tokens, mask, _graph(0))[mask] - other_tokens[mask], fused[mask] - tokens[mask])


def test_padding_tokens_unchanged_and_padding_nodes_ignored():
    fusion = _fusion()
    tokens, mask = _tokens()
    graph = _graph()
    fused = fusion(tokens, mask, graph)
    assert torch.equal(fused[~mask], tokens[~mask])
    assert not torch.allclose(fused[mask], tokens[mask])
    noisy = GraphFeatures(nodes=graph.nodes.clone(), node_mask=graph.node_mask, pooled=graph.pooled)
    noisy.nodes[1, 2] = 100.0  # a padding node of graph 1
    torch.testing.assert_close(fusion(tokens, mask, noisy), fused)


@pytest.mark.parametrize("key_source", ["nodes", "pooled"])
def test_empty_graph_is_identity_without_nan(key_source):
    fusion = _fusion(key_source)
    tokens, mask = _tokens()
    fused = fusion(tokens, mask, _graph(counts=(3, 0)))
    assert torch.isfinite(fused).all()
    assert torch.equal(fused[1], tokens[1])  # the empty graph's sample: only the zero-valued sink is visible
    all_empty = fusion(tokens, mask, _graph(counts=(0, 0)))
    assert torch.equal(all_empty, tokens)


def test_gradients_reach_every_parameter_after_the_first_update():
    fusion = _fusion()
    fusion.train()
    tokens, mask = _tokens()
    fusion(tokens, mask, _graph()).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in fusion.parameters())


def test_validation():
    with pytest.raises(ValueError, match="key_source"):
        AttentionFusion(HIDDEN, GRAPH_DIM, key_source="tokens")
    with pytest.raises(ValueError, match="must divide attention_dim"):
        AttentionFusion(HIDDEN, GRAPH_DIM, attention_dim=8, num_heads=3)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weight_scale", [1.0, 1e3, 1e6])
def test_update_stays_within_its_bound_for_any_input(seed: int, weight_scale: float) -> None:
    """However large the trained weights and whatever the tokens and graph, each token's update stays below
    ``update_bound`` times its embedding's norm."""
    torch.manual_seed(seed)
    fusion = AttentionFusion(HIDDEN, GRAPH_DIM, attention_dim=8, num_heads=2, dropout=0.0, update_bound=0.25).eval()
    with torch.no_grad():
        for parameter in fusion.parameters():
            parameter.normal_().mul_(weight_scale)
    tokens = torch.randn(2, 5, HIDDEN) * torch.logspace(-3, 3, 5).view(1, 5, 1)  # tiny to huge embeddings
    mask = torch.ones(2, 5, dtype=torch.bool)
    update = fusion(tokens, mask, _graph(seed)) - tokens
    ratio = update.norm(dim=-1) / tokens.norm(dim=-1)
    assert ratio.max() <= 0.25 * (1 + 1e-5)
    assert torch.isfinite(update).all()


def test_bound_is_the_identity_for_small_updates_and_unbounded_is_available() -> None:
    fusion = _fusion()
    fusion.update_bound = None
    tokens, mask = _tokens()
    raw = fusion(tokens, mask, _graph()) - tokens
    with torch.no_grad():
        fusion.output.weight.mul_(1e-4)  # updates far below 0.25 x the token norm
    small = fusion(tokens, mask, _graph()) - tokens
    fusion.update_bound = 0.25
    capped_small = fusion(tokens, mask, _graph()) - tokens
    torch.testing.assert_close(capped_small, small, rtol=1e-3, atol=1e-9)
    assert (raw.norm(dim=-1)[mask] / tokens.norm(dim=-1)[mask]).max() > 0.25  # unbounded: exceeds what the cap allows


def test_non_positive_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="update_bound must be positive"):
        AttentionFusion(HIDDEN, GRAPH_DIM, update_bound=0.0)


def test_an_aligned_token_reads_only_its_own_nodes() -> None:
    """With an alignment, a token's update depends on the nodes that contain it and on no other node."""
    fusion = _fusion()
    tokens, mask = _tokens()
    graph = _graph()
    alignment = torch.zeros(2, 5, 3, dtype=torch.bool)
    alignment[0, 0, 0] = alignment[0, 1, [0, 1]] = True  # token 0 in node 0; token 1 in nodes 0 and 1
    fused = fusion(tokens, mask, graph, alignment)
    other = GraphFeatures(graph.nodes.clone(), graph.node_mask, graph.pooled)
    other.nodes[0, 2] += 5.0  # a node no token lies in
    torch.testing.assert_close(fusion(tokens, mask, other, alignment), fused)
    other.nodes[0, 1] += 5.0  # token 1's second node
    moved = fusion(tokens, mask, other, alignment)
    torch.testing.assert_close(moved[0, 0], fused[0, 0])
    assert not torch.allclose(moved[0, 1], fused[0, 1])
    assert torch.equal(fused[0, 2:], tokens[0, 2:])  # tokens in no node take only the sink: unchanged
