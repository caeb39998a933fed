"""The comparison's report: per method, mean ± sd over seeds of every metric, each seed's official score, the paired
bootstrap over examples and seeds against the transducer (Holm-corrected), the graph questions, and a verdict
computed from those numbers by fixed rules (nothing in it is written by hand)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tasks.comparison.data import read_jsonl
from tasks.comparison.protocol import (
    GRAPH_TWINS,
    INPUT_SIDE_BASELINES,
    PRECISIONS,
    REFERENCE,
    RETRIEVAL_BASELINE,
    REPORT_ORDER,
    TRANSDUCER_DESIGNS,
    Protocol,
    seeds_for,
)
from tasks.comparison.task_setups import ComparisonTask, OfficialScore, mean_of_first

#: significance level of the verdict's statements (after Holm's correction)
ALPHA = 0.05
NUM_RESAMPLES = 2000


@dataclass
class Row:
    """A method's finished seeds (``results``, each with its predictions by id)."""

    method: str
    results: list[dict[str, Any]]
    predictions: list[dict[str, str]]
    shuffled: list[dict[str, str]] | None

    def values(self, metric: str, external: bool = False) -> list[float]:
        """Each seed's ``metric`` on the scored split, or (``external``) on the external sample."""
        scores = [r["external"]["metrics"] if external else r["metrics"] for r in self.results
                  if not external or "external" in r]
        return [m[metric] for m in scores if metric in m]

    def cell(self, metric: str, digits: int, external: bool = False) -> str:
        return mean_sd(self.values(metric, external), digits)


def mean_sd(values: list[float], digits: int) -> str:
    """``mean ± sd`` of ``values`` (the value alone for one, ``—`` for none)."""
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def load_rows(results: Path) -> dict[str, Row]:
    """Every method with at least one finished seed, in the report's order."""
    rows = {}
    for method in REPORT_ORDER:
        seed_dirs = sorted(p.parent for p in (results / method).glob("seed*/result.json"))
        if not seed_dirs:
            continue
        shuffled = [d / "predictions_shuffled_graphs.jsonl" for d in seed_dirs]
        rows[method] = Row(
            method, [json.loads((d / "result.json").read_text()) for d in seed_dirs],
            [_by_id(read_jsonl(d / "predictions.jsonl")) for d in seed_dirs],
            [_by_id(read_jsonl(p)) for p in shuffled] if all(p.exists() for p in shuffled) else None,
        )
    return rows


def _by_id(records: list[dict[str, Any]]) -> dict[str, str]:
    return {r["id"]: r["prediction"] for r in records}


def statistics_of(score: OfficialScore, predictions: list[dict[str, str]],
                  references: list[dict[str, Any]]) -> np.ndarray:
    """(S, N, K) statistics of ``score`` for S seeds' predictions on the N references."""
    targets = [r["target"] for r in references]
    return np.stack([score.statistics([seed[r["id"]] for r in references], targets) for seed in predictions])


def chrf_statistics_of(predictions: list[dict[str, str]], references: list[dict[str, Any]]) -> np.ndarray:
    """(S, N, 2) per-instance (sentence chrF, 1) of S seeds' predictions: summed over drawn examples and divided,
    the mean sentence chrF (:func:`mean_of_first`), a length-robust score to test beside the official one."""
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    return np.stack([np.array([[chrf.sentence_score(seed[r["id"]], [r["target"]]).score, 1.0] for r in references])
                     for seed in predictions])


def compare(a: np.ndarray, b: np.ndarray, score: Any) -> Any:
    from tasks.significance import bootstrap_over_seeds

    return bootstrap_over_seeds(a, b, score, num_resamples=NUM_RESAMPLES, seed=0)


def significance(task: ComparisonTask, rows: dict[str, Row], references: list[dict[str, Any]]
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:  # fmt: skip
    """Transducer − method for every other row on each of the task's tested scores (``{score label: {method:
    test}}``, Holm over all of them), and the graph questions (graph method − its graph-free twin, graph method −
    itself with shuffled graphs) on the official score and on mean sentence chrF, Holm over those."""
    from tasks.significance import holm_bonferroni

    official, label = task.official.score, task.official.label
    of_score = {score.label: {m: statistics_of(score, row.predictions, references) for m, row in rows.items()}
                for score in (task.tested_scores if REFERENCE in rows else (task.official,))}
    stats = of_score[label]
    main = {(score.label, m): compare(of_score[score.label][REFERENCE], of_score[score.label][m], score.score)
            for score in task.tested_scores for m in rows if m != REFERENCE} if REFERENCE in rows else {}
    chrf: dict[str, np.ndarray] = {}  # computed on first use: a twin serves several graph methods

    def chrf_of(method: str) -> np.ndarray:
        if method not in chrf:
            chrf[method] = chrf_statistics_of(rows[method].predictions, references)
        return chrf[method]

    graph: dict[str, Any] = {}
    for method, twin in GRAPH_TWINS.items():
        if method not in rows:
            continue
        others = []  # (comparison, their official statistics, their chrF statistics)
        if twin in rows:
            others.append((f"{method} − {twin}", stats[twin], chrf_of(twin)))
        if rows[method].shuffled is not None:
            shuffled = rows[method].shuffled
            others.append((f"{method} − {method} (shuffled graphs)",
                           statistics_of(task.official, shuffled, references), chrf_statistics_of(shuffled, references)))
        for name, official_theirs, chrf_theirs in others:
            graph[f"{name} ({label})"] = compare(stats[method], official_theirs, official)
            graph[f"{name} (chrF)"] = compare(chrf_of(method), chrf_theirs, mean_of_first)
    by_score: dict[str, dict[str, Any]] = {score.label: {} for score in task.tested_scores}
    for (score_label, method), test in _with_holm(main, holm_bonferroni).items():
        by_score[score_label][method] = test
    return by_score, _with_holm(graph, holm_bonferroni)


def _with_holm(tests: dict[Any, Any], holm: Any) -> dict[Any, Any]:
    adjusted = holm({name: t.p_value for name, t in tests.items()}) if tests else {}
    return {name: {"difference": t.mean_difference, "ci_low": t.ci_low, "ci_high": t.ci_high, "p": t.p_value,
                   "p_holm": adjusted[name]} for name, t in tests.items()}


def _test_cells(test: dict[str, Any] | None) -> list[str]:
    if test is None:
        return ["—", "—"]
    return [f"{test['difference']:+.2f} [{test['ci_low']:+.2f}, {test['ci_high']:+.2f}]", f"{test['p_holm']:.4f}"]


def main_table(task: ComparisonTask, rows: dict[str, Row], tests: dict[str, dict[str, Any]]) -> str:
    label = task.official.label
    header = ["method", "trainable params", "lr (dev loss)", "seeds", f"{label} per seed",
              *(name for _, name, _ in task.report_columns)]
    for score in task.tested_scores:
        header += [f"{REFERENCE} − method ({score.label}) [95% CI]", "p (Holm)"]
    header += ["best dev-loss eval", "train min/seed", "generate min/seed"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, row in rows.items():
        first = row.results[0]
        cells = [method, f"{first.get('trainable_parameters', 0):,}",
                 f"{first['learning_rate']:g}" if first.get("steps") else "—", str(len(row.results)),
                 " / ".join(f"{v:.2f}" for v in row.values(task.official.metric))]
        cells += [row.cell(metric, digits) for metric, _, digits in task.report_columns]
        for score in task.tested_scores:
            cells += _test_cells(tests.get(score.label, {}).get(method))
        cells += [_best_evaluation(row), _minutes(row, "train_s"), _minutes(row, "generate_s")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def external_table(task: ComparisonTask, rows: dict[str, Row]) -> str:
    """The rows that scored the external sample: mean ± sd over seeds of the task's columns there."""
    label = task.official.label
    header = ["method", "seeds", f"{label} per seed", *(name for _, name, _ in task.report_columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, row in rows.items():
        official = row.values(task.official.metric, external=True)
        if official:
            cells = [method, str(len(official)), " / ".join(f"{v:.2f}" for v in official)]
            cells += [row.cell(metric, digits, external=True) for metric, _, digits in task.report_columns]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cut_at_reference_length(predictions: dict[str, str], references: list[dict[str, Any]]) -> dict[str, str]:
    """Each reference's prediction (by id) cut to the reference's number of whitespace tokens: an oracle stop."""
    return {r["id"]: " ".join(predictions[r["id"]].split()[: len(r["target"].split())]) for r in references}


def oracle_stop_table(task: ComparisonTask, rows: dict[str, Row], references: list[dict[str, Any]]) -> str:
    """Every row's tested scores as generated and with each prediction cut at its reference's length (mean ± sd
    over seeds): whether a row loses on what it writes or on where it stops."""
    header = ["method", "len ratio"]
    for score in task.tested_scores:
        header += [score.label, f"{score.label} cut"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, row in rows.items():
        cut = [cut_at_reference_length(seed, references) for seed in row.predictions]
        cells = [method, row.cell("length_ratio", 2)]
        for score in task.tested_scores:
            per_seed = score.score(statistics_of(score, cut, references).sum(axis=1))  # (S,)
            cells += [row.cell(score.metric, 2), mean_sd([float(v) for v in per_seed], 2)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: the rows whose predictions the examples show (those present), first seed
EXAMPLE_ROWS = (RETRIEVAL_BASELINE, "no_finetune", REFERENCE, "transducer_no_graph", "lora", "prefix_tuning",
                "full_finetune")
NUM_EXAMPLES = 5
EXAMPLE_CHARS = 200


def examples(rows: dict[str, Row], references: list[dict[str, Any]], seed: int) -> str:
    """:data:`NUM_EXAMPLES` scored pairs drawn with ``seed``: source, reference and the first seed's prediction of
    every row of :data:`EXAMPLE_ROWS` there is, each on one line and cut at :data:`EXAMPLE_CHARS` characters."""
    import random

    def line(text: str) -> str:
        text = " ".join(text.split()).replace("`", "'")
        return f"`{text[:EXAMPLE_CHARS]}`" + (" …" if len(text) > EXAMPLE_CHARS else "") if text else "(empty)"

    shown = [m for m in EXAMPLE_ROWS if m in rows]
    blocks = []
    for number, reference in enumerate(random.Random(seed).sample(references, min(NUM_EXAMPLES, len(references))), 1):
        block = [f"{number}. `{reference['id']}`, source: {line(reference['source'])}",
                 f"   - reference: {line(reference['target'])}"]
        block += [f"   - {m}: {line(rows[m].predictions[0].get(reference['id'], ''))}" for m in shown]
        blocks.append("\n".join(block))
    return "\n".join(blocks)


def _same_design(method: str, other: str) -> bool:
    """Whether ``other`` (a graph-free twin, or ``method`` itself with shuffled graphs) injects the graph the way
    ``method`` does, so that their difference is the graph's alone."""
    from transducer.methods import method_config

    other = other.removesuffix(" (shuffled graphs)")
    return getattr(method_config(method), "injection", None) == getattr(method_config(other), "injection", None)


def _rows_by(rows: dict[str, Row], key: str, graph_rows_only: bool = False) -> dict[str, list[str]]:
    """Value of the seeds' ``key`` (extractor version, precision) -> the rows whose seeds ran with it, each with
    the seeds where the row ran with several (``graph_rows_only``: the rows that read graphs)."""
    grouped: dict[str, list[str]] = {}
    for method, row in rows.items():
        seeds: dict[str, list[str]] = {}
        for result in row.results:
            if key in result and (not graph_rows_only or "graph_ablation" in result):
                seeds.setdefault(str(result[key]), []).append(str(result["seed"]))
        for value, these in seeds.items():
            grouped.setdefault(value, []).append(method if len(seeds) == 1 else f"{method} (seed{'s' * (len(these) > 1)} {', '.join(these)})")
    return grouped


def _precision_words(settings: dict[str, Any]) -> str:
    """The protocol's precision sentence: the one precision and its reason, or every sitting's."""
    precisions = settings.get(PRECISIONS, {settings["precision"]: settings["precision_reason"]})
    if len(precisions) == 1:
        return f"Precision {settings['precision']} ({settings['precision_reason']})."
    return "Precision by sitting: " + "; ".join(f"{p} ({reason})" for p, reason in precisions.items()) + "."


def _best_evaluation(row: Row) -> str:
    """Which dev-loss evaluation held the best checkpoint, per seed (k/n; n/n: still improving at the end)."""
    marks = []
    for result in row.results:
        steps = [p["step"] for p in result.get("evaluations", [])]
        if steps and result.get("best_step") in steps:
            marks.append(f"{steps.index(result['best_step']) + 1}/{len(steps)}")
    return ", ".join(marks) or "—"


def _minutes(row: Row, key: str) -> str:
    values = [r["timings"][key] / 60 for r in row.results if key in r.get("timings", {})]
    return f"{statistics.mean(values):.1f}" if values else "—"


def graph_table(tests: dict[str, Any]) -> str:
    lines = ["| comparison (metric) | Δ [95% CI] | p (Holm) |", "|---|---|---|"]
    lines += [f"| {name} | {' | '.join(_test_cells(test))} |" for name, test in tests.items()]
    return "\n".join(lines)


def load_selections(results: Path) -> dict[str, dict[str, Any]]:
    """Each method's finished learning-rate grid (``selection.json``), in the report's order."""
    paths = {m: results / m / "selection.json" for m in REPORT_ORDER}
    return {m: json.loads(p.read_text()) for m, p in paths.items() if p.exists()}


def selection_table(selections: dict[str, dict[str, Any]]) -> str:
    lines = ["| method | dev loss per learning rate (chosen in bold) |", "|---|---|"]
    for method, selection in selections.items():
        chosen = selection["learning_rate"]
        cells = [(f"**{p['learning_rate']:g}: {p['dev_loss']:.4f}**" if p["learning_rate"] == chosen
                  else f"{p['learning_rate']:g}: {p['dev_loss']:.4f}") for p in selection["grid"]]
        lines.append(f"| {method} | {', '.join(cells)} |")
    return "\n".join(lines)


def _at_floor(test: dict[str, Any]) -> bool:
    """Whether a bootstrap test saw no difference at all (e.g. two rows with no exact match each): its p of 1 says
    nothing about whether the rows are alike."""
    return test["difference"] == test["ci_low"] == test["ci_high"] == 0


def verdict(task: ComparisonTask, rows: dict[str, Row], tests: dict[str, dict[str, Any]],
            graph_tests: dict[str, Any], selections: dict[str, dict[str, Any]]) -> list[str]:
    """Sentences that follow from the numbers by fixed rules: a difference counts when its Holm-corrected p is
    below :data:`ALPHA`; "equal or fewer parameters" compares trainable parameter counts."""

    def said(test: dict[str, Any], metric: str) -> str:
        return (f"{test['difference']:+.2f} {metric} [{test['ci_low']:+.2f}, {test['ci_high']:+.2f}], "
                f"p (Holm) {test['p_holm']:.4f}")

    def floor(metric: str) -> str:
        return f"{metric} differs in no resample (no example tells them apart), so the test says nothing"

    lines = []
    for name, test in graph_tests.items():
        comparison, metric = name.rsplit(" (", 1)
        if _at_floor(test):
            outcome = floor(metric.rstrip(")"))
        elif test["p_holm"] >= ALPHA:
            outcome = "no significant difference"
        elif _same_design(*comparison.split(" − ")):
            outcome = "the graph helps" if test["difference"] > 0 else "the graph hurts"
        else:  # a soft-token or prefix design against the graph-free fusion: two designs, not a graph ablation
            outcome = (f"{'better' if test['difference'] > 0 else 'worse'} than the graph-free fusion, another "
                       "design (its shuffled-graph row is what tests the graph)")
        lines.append(f"- **{comparison}**: {said(test, metric.rstrip(')'))} — {outcome}.")
    if REFERENCE in rows:
        ours = rows[REFERENCE].results[0]["trainable_parameters"]
        elsewhere = "see the other columns" if len(task.tested_scores) == 1 else "see the next line"
        for baseline in (b for b in INPUT_SIDE_BASELINES if b in rows):
            theirs = rows[baseline].results[0]["trainable_parameters"]
            size = "fewer" if ours < theirs else "equal" if ours == theirs else "more"
            for score in task.tested_scores:
                test = tests.get(score.label, {}).get(baseline)
                if test is None:
                    continue
                if _at_floor(test):
                    outcome = f"cannot be told from it on {score.label}: {floor(score.label)}; {elsewhere}"
                elif test["p_holm"] >= ALPHA:
                    outcome = "matches it (no significant difference)"
                else:
                    outcome = "beats it" if test["difference"] > 0 else "loses to it"
                lines.append(f"- **{REFERENCE} vs {baseline}** ({ours:,} vs {theirs:,} trainable parameters: "
                             f"{size}): {said(test, score.label)} — the transducer {outcome}.")
        losses = [f"{m} ({t['difference']:+.2f} {score_label})" for score_label, of in tests.items()
                  for m, t in of.items() if t["p_holm"] < ALPHA and t["difference"] < 0]
        if losses:
            lines.append("- **Where the transducer loses** (significantly): " + ", ".join(losses) + ".")
    designs = {m: selections[m] for m in TRANSDUCER_DESIGNS if m in selections}
    if designs:
        dev = {m: min(p["dev_loss"] for p in s["grid"]) for m, s in designs.items()}
        best = min(dev, key=dev.get)
        lines.append("- **Default design by dev loss** (each design at its chosen rate): " + ", ".join(
            f"{m} {loss:.4f}" for m, loss in sorted(dev.items(), key=lambda kv: kv[1])) + f" — lowest: {best}.")
    return lines


def render_report(task: ComparisonTask, results: Path, scored_path: Path, protocol: Protocol,
                  settings: dict[str, Any], command: str, expected: list[str]) -> str:
    """Write ``report.md`` in ``results`` and return it."""
    references = read_jsonl(scored_path)
    rows = load_rows(results)
    tests, graph_tests = significance(task, rows, references)
    missing = [m for m in expected if m not in rows or len(rows[m].results) < len(seeds_for(m, protocol))]
    dev_from = "carved from train" if task.dev_source == "train" else f"drawn from the {task.dev_source} split"
    label = task.official.label
    tested = " and of ".join(score.label for score in task.tested_scores)
    text = [
        f"Protocol v{protocol.version} (`protocol.json`): backbone `{settings['backbone']}`, {task.title}; "
        f"trained on {settings['train_pairs']:,} train pairs, learning rate and checkpoints chosen on "
        f"{settings['dev_pairs']} dev pairs {dev_from}, scored on the {len(references):,} {task.scored_split} pairs. "
        f"Per seed: {protocol.epochs} epoch(s) ({settings['final_steps']} steps at batch {protocol.batch_size}), "
        f"AdamW with weight decay {protocol.weight_decay:g}, linear warm-up over {protocol.warmup_fraction:.0%} "
        f"then linear decay; dev loss {protocol.evaluations_per_epoch}× per epoch, the best checkpoint generates "
        f"(beam {protocol.num_beams}, up to {protocol.max_new_tokens} new tokens and at most "
        f"{protocol.max_new_tokens_per_source_token:g}× the batch's longest source). Learning rate: the lowest dev "
        f"loss after {settings['selection_steps']} steps ({protocol.selection_fraction:.0%} of a final run, same "
        f"schedule shape), seed {protocol.seeds[0]}; the grid grows while its best is at an edge. Seeds "
        f"{', '.join(map(str, protocol.seeds))}. " + _precision_words(settings),
        "",
        main_table(task, rows, tests),
        "",
        f"{task.metric_notes}; chrF: sacreBLEU chrF (length-robust); loss: teacher-forced cross-entropy on the "
        f"{task.scored_split} pairs; len ratio: prediction tokens / reference tokens; repeat %: predictions with a "
        "token 4-gram repeated ≥ 3 times beyond the reference. Mean ± sd over seeds. retrieval_bm25: the target of "
        "the training pair whose source is most similar by BM25. The test against the transducer is a bootstrap "
        f"over examples (paired) and seeds ({NUM_RESAMPLES:,} resamples of {tested}), Holm-corrected over the table. "
        "Best dev-loss eval: which evaluation held the best checkpoint (n/n: still improving).",
    ]
    if rows:
        text += ["", "**What a row writes, apart from where it stops.** Each prediction cut to its reference's number "
                 "of whitespace tokens (an oracle stop: no method knows that length, so this is a diagnostic, not a "
                 f"score), {' and '.join(score.label for score in task.tested_scores)} as generated and cut, "
                 "mean ± sd over seeds:", "",
                 oracle_stop_table(task, rows, references)]
    if "external" in settings:
        external = task.external
        drawn = settings["external"]
        text += ["", f"**External: {external.title}**, {drawn['pairs']:,} of its {drawn['of']:,} pairs (drawn with "
                 "the data seed), generated from each seed's best checkpoint; "
                 f"{external.notes}:", "", external_table(task, rows)]
    if graph_tests:
        text += ["", "**Does the graph help?** Each graph method against its graph-free twin, and against itself "
                 "with every scored sample given another sample's graph: the same bootstrap over examples and "
                 f"seeds on {label} and on mean sentence chrF (length-robust), Holm over these rows:",
                 "", graph_table(graph_tests)]
    selections = load_selections(results)
    if selections:
        text += ["", "**Learning-rate selection** (dev loss after the selection run):", "", selection_table(selections)]
    lines = verdict(task, rows, tests, graph_tests, selections)
    if lines:
        heading = "Verdict so far" if missing else "Verdict"
        text += ["", f"**{heading}** (rules fixed before the results: Holm p < 0.05):", "", *lines]
    versions = _rows_by(rows, "extractor_version", graph_rows_only=True)
    if len(versions) > 1:
        text += ["", "Rows ran with different CPG extractor versions (`cpg.cache.EXTRACTOR_VERSION`; graphs of the "
                 "same code can differ between them): " + "; ".join(
                     f"version {v}: {', '.join(methods)}" for v, methods in sorted(versions.items())) + "."]
    precisions = _rows_by(rows, "precision")
    if len(precisions) > 1:
        text += ["", "Rows run in different precisions (the sittings ran on different machines; "
                 "`protocol.json` gives each precision's reason): " + "; ".join(
                     f"{p}: {', '.join(methods)}" for p, methods in sorted(precisions.items())) + "."]
    if rows:
        text += ["", f"**Examples** ({min(NUM_EXAMPLES, len(references))} {task.scored_split} pairs drawn with the data seed; the first "
                 f"seed's prediction of each row shown):", "", examples(rows, references, protocol.data_seed)]
    runs_path = results / "runs.json"
    if runs_path.exists():
        runs = json.loads(runs_path.read_text())
        text += ["", f"Wall time: {sum(r['wall_s'] for r in runs) / 3600:.2f} h over {len(runs)} invocation(s) ("
                 + "; ".join(f"{r['wall_s'] / 60:.0f} min with --jobs {r['jobs']} on {r['cores']} cores"
                             + (f" of an {r['cpu']} in {r['precision']}" if "cpu" in r else "")
                             for r in runs) + ")."]
    if missing:
        text += ["", f"Not finished yet: {', '.join(missing)} (rerun the command to continue)."]
    text += ["", f"Command: `{command}`"]
    report = "\n".join(text) + "\n"
    (results / "report.md").write_text(report)
    return report
