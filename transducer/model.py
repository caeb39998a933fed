"""The Transducer (node vectorizer + Graph Vectorization Engine + fusion) and the frozen model it adapts.

:class:`TransducerModel` computes the frozen backbone's token embeddings, fuses graph features into them, and
feeds the result as ``inputs_embeds``; only the Transducer is trained and saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch_geometric.data import Batch, Data
from transformers import Cache

from cpg.graph import CodePropertyGraph
from transducer.backbone import freeze, is_seq2seq, remember_loaded_weights, uses_conv1d
from transducer.fusion import AttentionFusion
from transducer.graph_inputs import encode_graph, encode_graphs, encoding_key
from transducer.graph_prefix import (
    GraphPrefix,
    KVLayout,
    cache_argument,
    generate_with_prefix,
    prefix_cache,
    prefix_dtype,
    refuse_gradient_checkpointing,
)
from transducer.gve import GraphFeatures, GraphVectorizationEngine
from transducer.adaptation import AdaptedModel, check_adapter_keys, save_adapter
from transducer.soft_tokens import GraphSoftTokens
from transducer.vectorizer import BACKBONE_NODE_ENCODER, NodeVectorizer, resolve_encoder

if TYPE_CHECKING:  # the config builds this model (TransducerConfig.build), so the model reads it without importing it
    from transducer.config import TransducerConfig

GraphInput = Batch | Data | Sequence[Data] | None
#: name prefix of the backbone's trained weights (LoRA, ``backbone_lora_r``) in the adapter's state dict
BACKBONE_PREFIX = "backbone."


def add_backbone_lora(backbone: nn.Module, rank: int) -> None:
    """Inject trainable LoRA (rank ``rank``, alpha 4 * rank, dropout 0.1) into peft's default layers of the frozen
    ``backbone``'s architecture (T5: q, v; GPT-2: c_attn), in place."""
    from peft import LoraConfig, inject_adapter_in_model
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as DEFAULT_TARGETS

    targets = DEFAULT_TARGETS.get(backbone.config.model_type)
    if targets is None:
        raise ValueError(f"backbone_lora_r: peft has no default LoRA layers for model type "
                         f"{backbone.config.model_type!r}; use a T5/GPT-2/Llama-style backbone or backbone_lora_r 0")
    config = LoraConfig(r=rank, lora_alpha=4 * rank, lora_dropout=0.1, target_modules=targets,
                        fan_in_fan_out=uses_conv1d(backbone))
    inject_adapter_in_model(config, backbone)


class Transducer(nn.Module):
    """Node vectorizer -> GVE -> fusion: ``(tokens (B, L, H), token_mask (B, L), graph Batch) -> (B, L, H)``.

    ``token_embedding`` is the backbone's (frozen) input-embedding table: it fixes the hidden size H and is the
    default source of node vectors. Only parameters with ``requires_grad`` belong to the Transducer's weights.
    ``kv_layout`` (the backbone's :class:`~transducer.graph_prefix.KVLayout`) is needed by the ``prefix`` mode only.
    """

    def __init__(self, config: TransducerConfig, token_embedding: nn.Embedding,
                 kv_layout: KVLayout | None = None) -> None:
        super().__init__()
        hidden_size = token_embedding.embedding_dim
        self.vectorizer: NodeVectorizer | None = None
        node_dim = hidden_size
        if config.graph_mode != "zero":
            include_kind = config.node_kind == "fixed"
            if config.node_encoder == BACKBONE_NODE_ENCODER:
                self.vectorizer = NodeVectorizer(token_embedding=token_embedding, include_kind=include_kind)
            else:
                self.vectorizer = NodeVectorizer.from_pretrained_encoder(
                    config.node_encoder, pooling=config.node_pooling, include_kind=include_kind
                )
            node_dim = self.vectorizer.node_dim
        self.gve = GraphVectorizationEngine(
            node_dim=node_dim,
            out_dim=config.graph_dim,
            bottleneck_dim=config.bottleneck_dim,
            gnn_type=config.gnn_type,
            num_layers=config.num_layers,
            heads=config.gnn_heads,
            use_edge_types=config.use_edge_types,
            edge_types=config.edge_type_ids,
            cfg_labels=config.cfg_labels,
            bidirectional=config.bidirectional_edges,
            pooling=config.pooling,
            dropout=config.dropout,
            graph_mode=config.graph_mode,
            kind_vocab_size=config.kind_vocab_size if config.node_kind == "learned" else 0,
        )
        self.fusion: AttentionFusion | None = None
        self.soft_tokens: GraphSoftTokens | None = None
        self.prefix: GraphPrefix | None = None
        if config.injection == "prefix":
            if kv_layout is None:
                raise ValueError("the prefix injection needs the backbone's kv_layout (KVLayout.of(backbone.config))")
            self.prefix = GraphPrefix(kv_layout, config.graph_dim, config.num_prefix_tokens, config.attention_dim,
                                      config.attention_heads, config.prefix_rank, config.dropout)
        elif config.injection == "soft_tokens":
            weight = token_embedding.weight
            scale = 1.0 if weight.is_meta else float(weight.detach().float().norm(dim=1).mean())  # meta: shapes only
            self.soft_tokens = GraphSoftTokens(hidden_size, config.graph_dim, config.num_soft_tokens,
                                               config.attention_dim, config.attention_heads, config.dropout, scale,
                                               config.soft_token_bound)
        else:
            self.fusion = AttentionFusion(
                hidden_size=hidden_size,
                graph_dim=config.graph_dim,
                attention_dim=config.attention_dim,
                num_heads=config.attention_heads,
                dropout=config.dropout,
                key_source=config.fusion_key_source,
                update_bound=config.update_bound,
            )

    def graph_features(self, graph: Batch | None, num_graphs: int, dtype: torch.dtype, device: torch.device) -> GraphFeatures:
        """The GVE's features of ``graph`` (B graphs; zero features in ``graph_mode="zero"``)."""
        if self.vectorizer is None:
            return self.gve.zero_features(num_graphs, dtype, device)
        return self.gve(
            self.vectorizer(graph),
            graph.edge_index,
            graph.edge_type,
            graph.batch,
            num_graphs,
            kind_hash=getattr(graph, "node_kind_hash", None),
            cfg_label=getattr(graph, "cfg_label", None),
        )

    def forward(self, tokens: torch.Tensor, token_mask: torch.Tensor, graph: Batch | None) -> torch.Tensor:
        """``fusion`` mode: fused embeddings (B, L, H); ``soft_tokens`` mode: the graph's soft tokens (B, K, H)
        (the caller puts them in front of ``tokens``); ``prefix`` mode: key/value prefixes (layers, 2, B, heads, P,
        head_dim) in the backbone's compute dtype. ``graph`` holds B graphs (None in ``graph_mode="zero"``)."""
        features = self.graph_features(graph, tokens.shape[0], tokens.dtype, tokens.device)
        if self.prefix is not None:
            return self.prefix(features).to(prefix_dtype(tokens.dtype, tokens.device))
        if self.soft_tokens is not None:
            return self.soft_tokens(features).to(tokens.dtype)
        return self.fusion(tokens, token_mask, features, getattr(graph, "token_node_mask", None))

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """The Transducer's own weights (frozen embedding tables and encoders excluded)."""
        return {name: p for name, p in self.named_parameters() if p.requires_grad}

    def parameter_breakdown(self) -> dict[str, int]:
        """Trainable parameters per component (``gve.down``, ``fusion.query``, ...)."""
        counts: dict[str, int] = {}
        for name, parameter in self.trainable_state_dict().items():
            component = ".".join(name.split(".")[:2])
            counts[component] = counts.get(component, 0) + parameter.numel()
        return counts


class TransducerModel(AdaptedModel):
    """A frozen Hugging Face seq2seq or decoder-only model whose input embeddings are fused with code graphs.

    Build with ``TransducerConfig(...).build(backbone, tokenizer)``. ``graph`` arguments are PyG ``Batch``es (one
    graph per sample) of :meth:`encode_graph` outputs; a single ``Data`` or a list of them is batched here.
    """

    def __init__(self, backbone: nn.Module, tokenizer: Any, config: TransducerConfig) -> None:
        super().__init__()
        remember_loaded_weights(backbone)
        self.backbone = freeze(backbone)
        self.config = config
        self.tokenizer = tokenizer
        embedding = backbone.get_input_embeddings()
        kv_layout = KVLayout.of(backbone.config) if config.injection == "prefix" else None
        self.transducer = Transducer(config, embedding, kv_layout).to(embedding.weight.device)
        if config.backbone_lora_r:
            add_backbone_lora(self.backbone, config.backbone_lora_r)
        if config.token_node_alignment and not is_seq2seq(backbone):
            raise NotImplementedError("token_node_alignment is implemented for seq2seq backbones only")
        if config.node_encoder == BACKBONE_NODE_ENCODER:
            self.graph_tokenizer = tokenizer
        else:
            from transformers import AutoTokenizer

            self.graph_tokenizer = AutoTokenizer.from_pretrained(resolve_encoder(config.node_encoder))

    @property
    def uses_graph(self) -> bool:  # type: ignore[override]
        """False for the graph-free ablation (``graph_mode="zero"``), so no graphs are extracted for it."""
        return self.config.graph_mode != "zero"

    @property
    def aligns_tokens_to_nodes(self) -> bool:
        """Whether batches must carry ``graph.token_node_mask`` (``token_node_alignment``; the data module reads it)."""
        return self.config.token_node_alignment

    @property
    def is_seq2seq(self) -> bool:
        return is_seq2seq(self.backbone)

    def encode_graph(self, graph: CodePropertyGraph | Data) -> Data:
        """Tensors for one graph (see :func:`~transducer.graph_inputs.encode_graph`) with this model's node
        tokenizer and token limits: what the data pipeline should store per sample."""
        return encode_graph(graph, self.graph_tokenizer, self.config.max_node_tokens, self.config.max_kind_tokens)

    def encode_graphs(self, graphs: list[CodePropertyGraph | Data], progress: bool = False) -> list[Data]:
        """:meth:`encode_graph` for many graphs, each distinct node text tokenized once."""
        return encode_graphs(graphs, self.graph_tokenizer, self.config.max_node_tokens, self.config.max_kind_tokens, progress)

    def graph_encoding_key(self) -> str:
        """What :meth:`encode_graphs` output depends on besides the graphs (for caches of encoded graphs)."""
        return encoding_key(self.graph_tokenizer, self.config.max_node_tokens, self.config.max_kind_tokens)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        graph: GraphInput = None,
    ) -> Any:
        """Run the backbone on fused embeddings; returns its output (with ``.loss`` when ``labels`` is given).

        For decoder-only backbones only prompt positions (``labels == -100`` and ``attention_mask == 1``) are
        fused, as in :meth:`generate`, where only the prompt is fused. In the ``prefix`` mode the input embeddings
        stay as they are and the graph enters as a key/value cache (:meth:`prefix_cache`).
        """
        if self.config.injection == "prefix":
            cache = self.prefix_cache(input_ids, attention_mask, graph)
            if not self.is_seq2seq:  # every token sees the P prefix positions; seq2seq: decoder self-attention only
                visible = attention_mask.new_ones(attention_mask.shape[0], self.config.num_prefix_tokens)
                attention_mask = torch.cat([visible, attention_mask], dim=1)
            return self.backbone(input_ids=input_ids, attention_mask=attention_mask, labels=labels,
                                 **{cache_argument(self.backbone): cache})
        fuse_mask = attention_mask.bool()
        if labels is not None and not self.is_seq2seq:
            fuse_mask = fuse_mask & (labels == -100)
        embeds = self.fuse(input_ids, fuse_mask, graph)
        added = embeds.shape[1] - input_ids.shape[1]  # soft tokens in front
        if added:
            attention_mask = torch.cat([attention_mask.new_ones(attention_mask.shape[0], added), attention_mask], dim=1)
            if labels is not None and not self.is_seq2seq:
                labels = torch.cat([labels.new_full((labels.shape[0], added), -100), labels], dim=1)
        return self.backbone(inputs_embeds=embeds, attention_mask=attention_mask, labels=labels)

    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        graph: GraphInput = None,
        **generation_kwargs: Any,
    ) -> torch.Tensor:
        """Generate from the fused source (any ``generate`` option, e.g. ``num_beams``). Seq2seq: the decoder
        ids; decoder-only (left-padded ``input_ids``): only the continuation."""
        if self.backbone.generation_config.pad_token_id is None:
            generation_kwargs.setdefault("pad_token_id", self.tokenizer.pad_token_id)
        if self.config.injection == "prefix":
            return self._generate_with_prefix(input_ids, attention_mask, graph, generation_kwargs)
        embeds = self.fuse(input_ids, attention_mask.bool(), graph)
        added = embeds.shape[1] - input_ids.shape[1]  # soft tokens in front
        if added:
            attention_mask = torch.cat([attention_mask.new_ones(attention_mask.shape[0], added), attention_mask], dim=1)
            filler = input_ids.new_full((input_ids.shape[0], added), self.tokenizer.pad_token_id)
            input_ids = torch.cat([filler, input_ids], dim=1)
        if self.is_seq2seq:
            return self.backbone.generate(inputs_embeds=embeds, attention_mask=attention_mask, **generation_kwargs)
        # Given input_ids too, decoder-only generate runs on inputs_embeds and returns prompt + continuation
        # (with inputs_embeds alone it returns the continuation only, and prompt-aware options lose the prompt).
        output = self.backbone.generate(
            input_ids=input_ids, inputs_embeds=embeds, attention_mask=attention_mask, **generation_kwargs
        )
        return output[:, input_ids.shape[1] :]

    def _generate_with_prefix(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, graph: GraphInput,
                              generation_kwargs: dict[str, Any]) -> torch.Tensor:
        """:meth:`generate` in the ``prefix`` mode (:func:`~transducer.graph_prefix.generate_with_prefix`)."""
        return generate_with_prefix(
            self.backbone, input_ids, attention_mask,
            lambda copies: self.prefix_cache(input_ids, attention_mask, graph, copies),
            self.config.num_prefix_tokens, self.tokenizer.pad_token_id, generation_kwargs,
        )

    def prefix_cache(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, graph: GraphInput,
                     copies: int = 1) -> Cache:
        """``prefix`` mode: a fresh key/value cache holding the samples' graph prefixes,
        each repeated ``copies`` times in a row (for beams)."""
        refuse_gradient_checkpointing(self.backbone)
        tokens = self.backbone.get_input_embeddings()(input_ids)
        graphs = self._graph_batch(graph, input_ids.shape[0], input_ids.device)
        prefix = self.transducer(tokens, attention_mask.bool(), graphs)
        return prefix_cache(prefix.repeat_interleave(copies, dim=2), self.is_seq2seq)

    def fuse(self, input_ids: torch.Tensor, fuse_mask: torch.Tensor, graph: GraphInput) -> torch.Tensor:
        """The backbone's input embeddings for ``input_ids`` (B, L): in the ``fusion`` mode (B, L, H) with graph
        features fused where ``fuse_mask``; in the ``soft_tokens`` mode (B, K + L, H), the K graph tokens first.
        The ``prefix`` mode changes no input embedding (see :meth:`prefix_cache`)."""
        if self.config.injection == "prefix":
            raise ValueError("the prefix injection leaves the input embeddings unchanged; its graph enters the "
                             "backbone as key/value prefixes (TransducerModel.prefix_cache)")
        tokens = self.backbone.get_input_embeddings()(input_ids)
        graphs = self._graph_batch(graph, input_ids.shape[0], input_ids.device)
        if self.config.token_node_alignment and getattr(graphs, "token_node_mask", None) is None:
            raise ValueError("token_node_alignment needs graph.token_node_mask (B, L, N): which source tokens lie in "
                             "which nodes; CodeTaskDataModule batches carry it (tasks.collate.token_node_alignment)")
        injected = self.transducer(tokens, fuse_mask, graphs)
        if self.config.injection == "soft_tokens":
            return torch.cat([injected, tokens], dim=1)
        return injected

    def _graph_batch(self, graph: GraphInput, batch_size: int, device: torch.device) -> Batch | None:
        if graph is None:
            if self.config.graph_mode == "zero":
                return None
            raise ValueError("TransducerModel needs `graph`: a PyG Batch of encode_graph outputs, one per sample")
        if not isinstance(graph, Batch):
            graph = Batch.from_data_list([graph] if isinstance(graph, Data) else list(graph))
        if graph.num_graphs != batch_size:
            raise ValueError(f"got {graph.num_graphs} graphs for a batch of {batch_size} samples; give one graph per sample")
        return graph.to(device)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write the Transducer weights (``adapter_model.safetensors``) and ``adapter_config.json`` (this config,
        the backbone's name and fingerprint)."""
        save_adapter(directory, self.config, self.backbone, self.adapter_state_dict())

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        """The trained weights: the Transducer's (named as in ``transducer.trainable_state_dict()``) and, with
        ``backbone_lora_r``, the backbone's LoRA weights (``backbone.<name>``)."""
        state = dict(self.transducer.trainable_state_dict())
        state.update({f"{BACKBONE_PREFIX}{name}": p for name, p in self.backbone.named_parameters() if p.requires_grad})
        return state

    def load_adapter_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load what :meth:`adapter_state_dict` returned; refuses weights whose names or shapes differ."""
        expected = self.adapter_state_dict()
        check_adapter_keys(expected, state, self.config.method_name)
        reshaped = [f"{name} {tuple(state[name].shape)} (now {tuple(tensor.shape)})"
                    for name, tensor in expected.items() if state[name].shape != tensor.shape]
        if reshaped:
            raise ValueError(
                f"adapter weights have other shapes than their config builds: {', '.join(reshaped)}; an adapter saved "
                "by an older transducer-tuning (before the GNN's edge types grew to CFG labels, CALL and ARGUMENT "
                "edges) cannot be loaded: retrain it"
            )
        backbone = {k[len(BACKBONE_PREFIX):]: v for k, v in state.items() if k.startswith(BACKBONE_PREFIX)}
        self.transducer.load_state_dict({k: v for k, v in state.items() if not k.startswith(BACKBONE_PREFIX)}, strict=False)
        self.backbone.load_state_dict(backbone, strict=False)

    def print_trainable_parameters(self) -> None:
        """Per-component trainable parameter counts, then the totals."""
        for component, count in self.transducer.parameter_breakdown().items():
            print(f"  {component:<28} {count:>10,d}")
        super().print_trainable_parameters()
