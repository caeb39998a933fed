"""``transducer bench``: what every adaptation method costs on one backbone and one batch shape.

For each method, in a fresh subprocess (so memory peaks do not bleed across methods), the benchmark builds the
backbone (by default the CodeT5+ 220M architecture with random weights: cost does not depend on weight values),
applies the method and measures:

- trainable parameters (absolute, and as a share of all the adapted model's parameters, backbone + adapter: the
  definition of peft's and our ``print_trainable_parameters``);
- adapter size: the bytes ``save_pretrained`` writes;
- peak memory of training steps: CUDA ``max_memory_allocated``, or on CPU the peak resident set size
  (``VmHWM``, reset after the model is built), absolute and as the increase over the memory after building;
- median time of a training step (forward + backward + AdamW step) over ``--steps`` steps after warmup;
- generation time per sample: ``--num-beams`` search (default greedy) with ``min_new_tokens = max_new_tokens``
  so that every method generates exactly the same number of tokens.

A method can carry memory levers (:mod:`transducer.memory`) as suffixes, each measured as its own row:
``transducer+bf16`` (frozen weights in bf16), ``transducer+checkpointing`` (gradient checkpointing of the
backbone), ``transducer+bf16+checkpointing``, ``transducer+int8`` (the backbone quantized to int8 weight-only; ``qlora``
always is). ``--precision bf16-mixed`` runs every method's steps and generation
under bf16 autocast (needed by ``+bf16``).

``icl`` trains nothing and is measured like ``no_finetune`` on the same batch: its extra cost is its longer
prompts (``k`` demonstrations in front of each source), which the synthetic batch does not model.

Every method sees the same synthetic batch: random token ids (seq2seq: source ``--source-length`` and target
``--target-length`` tokens; decoder-only: their concatenation, loss on the target only) and, for methods that
use graphs, random code property graphs of ``--nodes-per-graph`` nodes with AST/CFG/DDG/CDG edges.

Every method is measured ``--repeats`` times (default 3), in rounds that interleave the methods (round 1 measures
every method, then round 2, ...), so that a slow period of a shared machine hits all methods alike. Tables give the
median over repeats with the min–max range, and ratios (e.g. step time / LoRA's) are taken within each round, then
summarised the same way.

Results: ``bench.md`` (the tables, also printed), ``bench.png`` (bar charts) and ``bench.json`` (raw rows) in
``--output-dir``. One module per job: :mod:`.settings` (what to measure, the rows), :mod:`.inputs` (the
synthetic batch), :mod:`.measure` (one worker process per method and round), :mod:`.report` (tables, charts,
JSON), :mod:`.cli` (the command line; ``python -m tasks.bench`` is also the worker entry).
"""
