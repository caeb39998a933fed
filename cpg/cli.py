"""``transducer cpg``: extract the code property graph of a file, or fill the graph cache for a dataset.

    transducer cpg FILE [--language java] [--backend treesitter|joern] [--format summary|json|dot]
                        [--output PATH] [--max-nodes N] [--per-function]
    transducer cpg DIR [--language java] [--format summary|json] [--output PATH]
    transducer cpg DATA --batch [--language java] [--cache-dir DIR] [--jsonl-field source] [--shard i/n]
                        [--workers N]

``--language`` defaults to the one of the file extension (``.java``, ``.cs``, ``.py``, ``.js``, ``.ts``, ``.go``,
``.c``, ``.cpp``, ``.php``, ``.rb``...). ``--format dot`` with ``--output x.png``/``x.svg`` renders an image with
Graphviz. ``--per-function`` gives one graph per top-level function (:func:`cpg.extract_functions`): a summary
line each, or a JSON list of ``{"name", "start", "cut_edges", "graph"}``. A folder gives one graph per supported
file under it (by extension; only ``--language``'s files when given): a summary line each and a total, or a JSON
list of ``{"path", "language", "graph"}``. In ``--batch`` mode DATA holds one snippet per line,
or is JSONL (``.jsonl`` or ``--jsonl-field``) with the code in one field; the graphs go to the cache folder and
the extraction summary is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cpg.cache import default_cache_dir
from cpg.dot import render, to_dot
from cpg.extraction import BACKENDS, DEFAULT_MAX_NODES, DEFAULT_MAX_TEXT_CHARS, extract, extract_many
from cpg.functions import extract_functions
from cpg.graph import CodePropertyGraph
from cpg.joern import JoernError, JoernNotFoundError
from cpg.languages import SUPPORTED_LANGUAGES, language_for_path, normalize_language

_IMAGE_SUFFIXES = {".png", ".svg", ".pdf", ".jpg", ".jpeg", ".gif"}


class CliError(Exception):
    """A user error: printed as one line, exit code 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="transducer cpg",
        description="Extract a code property graph (AST + CFG + DDG + CDG + CALL + ARGUMENT) from a source file, "
        "or fill the graph cache for a dataset with --batch.",
    )
    parser.add_argument("path", metavar="FILE",
                        help="source file ('-' reads stdin), a folder (every supported file under it), or the dataset "
                        "with --batch")
    parser.add_argument(
        "--language", "-l", help=f"one of {', '.join(SUPPORTED_LANGUAGES)} (default: from the file extension)"
    )
    parser.add_argument("--backend", choices=BACKENDS, default="treesitter")
    parser.add_argument("--format", "-f", choices=("summary", "json", "dot"), default="summary")
    parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout (.png/.svg: render DOT)")
    parser.add_argument(
        "--max-nodes", type=int, default=DEFAULT_MAX_NODES, help=f"truncate larger graphs (default {DEFAULT_MAX_NODES})"
    )
    parser.add_argument(
        "--max-text-chars",
        type=int,
        default=DEFAULT_MAX_TEXT_CHARS,
        help=f"cut node texts to this many characters (default {DEFAULT_MAX_TEXT_CHARS})",
    )
    parser.add_argument(
        "--per-function", action="store_true", help="one graph per top-level function (tree-sitter backend)"
    )
    batch = parser.add_argument_group("dataset mode")
    batch.add_argument("--batch", action="store_true", help="FILE is a dataset: one snippet per line, or JSONL")
    batch.add_argument(
        "--cache-dir",
        type=Path,
        help="graph cache folder (default: $TRANSDUCER_CACHE_DIR or ~/.cache/transducer-tuning/cpg)",
    )
    batch.add_argument(
        "--jsonl-field", help="read JSONL and take the code from this field (default for .jsonl files: source)"
    )
    batch.add_argument("--shard", help="i/n: process only the samples whose index %% n == i")
    batch.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    batch.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``transducer cpg``; exits 2 on bad arguments and 1 on other errors (one-line message)."""
    parser = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if not args.batch and Path(args.path).is_dir():
            _folder(args)
            return
        language = _language(args)
        if args.batch:
            _batch(args, language)
        else:
            _single(args, language)
    except (CliError, ValueError, JoernNotFoundError, JoernError, OSError, RuntimeError) as error:
        print(f"transducer cpg: error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def _language(args: argparse.Namespace) -> str:
    if args.language:
        return normalize_language(args.language)
    inferred = language_for_path(args.path)
    if inferred is None:
        raise CliError(f"cannot tell the language of {args.path!r} from its extension; pass --language")
    return inferred


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.is_file():
        raise CliError(f"no such file: {path}")
    return file.read_bytes()


def _single(args: argparse.Namespace, language: str) -> None:
    for flag, value in (("--cache-dir", args.cache_dir), ("--jsonl-field", args.jsonl_field), ("--shard", args.shard)):
        if value is not None:
            raise CliError(f"{flag} needs --batch")
    if args.per_function:
        _per_function(args, language)
        return
    graph = extract(_read(args.path), language, args.backend, args.max_nodes, max_text_chars=args.max_text_chars)
    output: Path | None = args.output
    if args.format == "dot":
        text = to_dot(graph)
        if output is not None and output.suffix.lower() in _IMAGE_SUFFIXES:
            render(text, output)
            print(f"wrote {output}")
            return
    elif args.format == "json":
        text = json.dumps(graph.to_dict(), ensure_ascii=False) + "\n"
    else:
        text = _summary(graph, args.path)
    _emit(text, output)


def _emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` (and say so), or to stdout."""
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")


def _folder(args: argparse.Namespace) -> None:
    """One graph per supported source file under the folder ``args.path`` (of ``--language`` only, when given)."""
    if args.format == "dot" or args.per_function:
        raise CliError(f"{args.path} is a folder: use --format summary or json (DOT and --per-function take one file)")
    wanted = normalize_language(args.language) if args.language else None
    files = [(path, language) for path in sorted(Path(args.path).rglob("*")) if path.is_file()
             for language in [language_for_path(str(path))] if language is not None and wanted in (None, language)]
    if not files:
        which = f"{wanted} files" if wanted else f"files of a supported language ({', '.join(SUPPORTED_LANGUAGES)})"
        raise CliError(f"no {which} under {args.path}")
    graphs = [(path, language, extract(path.read_bytes(), language, args.backend, args.max_nodes,
                                       max_text_chars=args.max_text_chars)) for path, language in files]
    if args.format == "json":
        text = json.dumps([{"path": str(p), "language": lang, "graph": g.to_dict()} for p, lang, g in graphs],
                          ensure_ascii=False) + "\n"
    else:
        lines = []
        for path, language, graph in graphs:
            edges = sum(graph.edge_counts().values())
            lines.append(f"{path} ({language}): {graph.num_nodes} nodes, {edges} edges"
                         + (" (truncated)" if graph.truncated else "")
                         + (f", {len(graph.warnings)} warning(s)" if graph.warnings else ""))
        warned = sum(bool(g.warnings) for _, _, g in graphs)
        lines.append(f"{len(graphs)} files: {sum(g.num_nodes for _, _, g in graphs)} nodes; {warned} flagged")
        text = "\n".join(lines) + "\n"
    _emit(text, args.output)


def _per_function(args: argparse.Namespace, language: str) -> None:
    if args.backend != "treesitter" or args.format == "dot":
        raise CliError("--per-function needs the treesitter backend and --format summary or json")
    functions = extract_functions(_read(args.path), language, args.max_nodes, max_text_chars=args.max_text_chars)
    if args.format == "json":
        records = [{"name": f.name, "start": list(f.start), "cut_edges": f.cut_edges, "graph": f.graph.to_dict()}
                   for f in functions]  # fmt: skip
        text = json.dumps(records, ensure_ascii=False) + "\n"
    else:
        lines = [f"file: {args.path} ({language}): {len(functions)} functions"]
        for f in functions:
            counts = ", ".join(f"{name} {count}" for name, count in f.graph.edge_counts().items() if count)
            lines.append(f"  {f.name or '<anonymous>'} (line {f.start[0] + 1}): {f.graph.num_nodes} nodes; {counts}"
                         + ("; truncated" if f.graph.truncated else ""))
        text = "\n".join(lines) + "\n"
    _emit(text, args.output)


def _summary(graph: CodePropertyGraph, path: str) -> str:
    counts = graph.edge_counts()
    lines = [
        f"file: {path} ({graph.language}, {graph.backend} backend)",
        f"nodes: {graph.num_nodes}" + (" (truncated)" if graph.truncated else ""),
        "edges: " + ", ".join(f"{name} {count}" for name, count in counts.items()) + f" (total {sum(counts.values())})",
        "warnings: " + ("none" if not graph.warnings else str(len(graph.warnings))),
    ]
    lines += [f"  - {warning}" for warning in graph.warnings]
    return "\n".join(lines) + "\n"


def _batch(args: argparse.Namespace, language: str) -> None:
    if args.output is not None or args.format != "summary" or args.per_function:
        raise CliError("--batch writes graphs to --cache-dir and prints a summary; --output/--format/--per-function do "
                       "not apply")
    codes = _dataset(Path(args.path), args.jsonl_field)
    cache_dir = args.cache_dir or default_cache_dir()
    result = extract_many(
        codes,
        language,
        args.backend,
        cache_dir=cache_dir,
        num_workers=args.workers,
        max_nodes=args.max_nodes,
        max_text_chars=args.max_text_chars,
        progress=not args.no_progress,
        shard=_shard(args.shard),
    )
    print(f"{args.path} -> {cache_dir}: {result.summary()}")


def _dataset(path: Path, jsonl_field: str | None) -> list[str]:
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    # split on "\n" only, as the training readers do (str.splitlines would also split on \f, \v, U+2028, ...)
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if jsonl_field is None and path.suffix.lower() != ".jsonl":
        return lines
    field = jsonl_field or "source"
    codes = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CliError(f"{path}:{number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get(field), str):
            raise CliError(f"{path}:{number}: no string field {field!r} (choose one with --jsonl-field)")
        codes.append(record[field])
    return codes


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise CliError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not 0 <= index < count:
        raise CliError(f"--shard {text}: need 0 <= i < n")
    return index, count
