"""The public extraction API: :func:`extract` (one snippet) and :func:`extract_many` (a dataset).

Bad input never raises: empty code gives an empty graph, bytes that are not UTF-8 are decoded with replacement
characters, syntax errors give a partial graph, oversized code a truncated one — each with a warning in
``graph.warnings``. An unexpected exception while extracting one sample of a dataset gives an empty graph with
a warning and is counted in :attr:`ExtractionResult.num_failed`. Only API misuse raises (an unknown language or
backend, bad limits, a missing Joern install).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from cpg.cache import GraphCache, KeyMaker, decode, encode
from cpg.graph import CodePropertyGraph
from cpg.joern import JoernError, extract_joern, find_joern
from cpg.languages import LanguageSpec, get_spec
from cpg.treesitter import extract_treesitter

BACKENDS: tuple[str, ...] = ("treesitter", "joern")
DEFAULT_MAX_NODES = 2000
#: node text is cut to this many characters (spans stay exact): a root's text would otherwise be the whole
#: snippet, and all texts together grow with depth x size
DEFAULT_MAX_TEXT_CHARS = 256
#: inputs are cut to this many bytes and lines before parsing (with a warning): cost and memory stay bounded
#: whatever the input (a method or file this long is generated code; the graph keeps max_nodes nodes anyway)
MAX_CODE_BYTES = 256 * 1024
MAX_CODE_LINES = 10_000
#: snippets per ``joern-parse``/``joern-export`` run in :func:`extract_many` (bounds Joern's memory)
JOERN_BATCH_SIZE = 5000


def extract(
    code: str | bytes,
    language: str,
    backend: str = "treesitter",
    max_nodes: int = DEFAULT_MAX_NODES,
    *,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> CodePropertyGraph:
    """Extract the code property graph of one snippet (never raises for bad code; see the module docstring).

    Args:
        code: source text, or bytes (decoded as UTF-8, with replacement characters and a warning if invalid).
        language: one of :data:`cpg.SUPPORTED_LANGUAGES` (``java``, ``c_sharp``, ``python``, ``javascript``,
            ``typescript``, ``tsx``, ``go``, ``c``, ``cpp``, ``php``, ``ruby``) or an alias (``cs``, ``js``, ``ts``,
            ``c++``...).
        backend: ``treesitter`` (in-process) or ``joern`` (needs a Joern install; one JVM run per call).
        max_nodes: larger graphs are truncated to this many nodes (``truncated=True`` and a warning): the
            tree-sitter backend drops expressions first, keeping every statement and flow edge while the statements
            fit, and counts the dropped nodes in its warning (:mod:`cpg.truncation`); Joern keeps its first nodes.
        max_text_chars: node texts are cut to this many characters.
    """
    spec = check_options(language, backend, max_nodes, max_text_chars)
    if not isinstance(code, (str, bytes)):
        raise TypeError(f"code must be str or bytes, got {type(code).__name__}")
    if backend == "joern":
        return _extract_joern([code], spec, max_nodes, max_text_chars)[0]
    return _extract_one(code, spec, max_nodes, max_text_chars)[0]


@dataclass
class ExtractionResult:
    """Graphs aligned with the input codes (None outside the shard) and what happened to them; the summary calls
    graphs that carry warnings (a partial parse, a cut input, replaced bytes) "flagged"."""

    graphs: list[CodePropertyGraph | None]
    num_cache_hits: int = 0
    num_extracted: int = 0
    num_with_warnings: int = 0
    num_truncated: int = 0
    num_failed: int = 0
    seconds: float = 0.0
    shard: tuple[int, int] | None = None

    def summary(self) -> str:
        done = self.num_cache_hits + self.num_extracted
        where = f" (shard {self.shard[0]}/{self.shard[1]} of {len(self.graphs)})" if self.shard else ""
        rate = f", {done / self.seconds:.0f}/s" if self.seconds > 0 else ""
        return (
            f"{done} graphs{where}: {self.num_cache_hits} from cache, {self.num_extracted} extracted; "
            f"{self.num_with_warnings} flagged, {self.num_truncated} truncated, {self.num_failed} failed "
            f"({self.seconds:.1f} s{rate})"
        )


def extract_many(
    codes: Sequence[str | bytes],
    language: str,
    backend: str = "treesitter",
    *,
    cache_dir: str | Path | None = None,
    num_workers: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    progress: bool = True,
    shard: tuple[int, int] | None = None,
) -> ExtractionResult:
    """Extract (or load from ``cache_dir``) the graph of every code; never raises for a bad sample.

    Args:
        codes: the snippets.
        language, backend, max_nodes, max_text_chars: as for :func:`extract`.
        cache_dir: a content-addressed cache folder of pack files (:mod:`cpg.cache`), safe to share between
            processes and machines; hits are not parsed again. New graphs are written when the call ends (also on
            an exception or Ctrl-C, so finished work is kept) and every 64 MiB of new entries. None: no cache.
        num_workers: processes for tree-sitter extraction (None: all cores; 1: in this process). Joern runs
            one ``joern-parse`` + one ``joern-export`` per batch of :data:`JOERN_BATCH_SIZE` snippets instead.
        progress: show a progress bar.
        shard: ``(i, n)`` processes only the indices with ``index % n == i``; the others stay None. n machines
            sharing ``cache_dir`` with shards 0..n-1 fill the same cache as one unsharded run.
    """
    spec = check_options(language, backend, max_nodes, max_text_chars)
    if shard is not None:
        index, count = shard
        if not (isinstance(count, int) and isinstance(index, int) and count >= 1 and 0 <= index < count):
            raise ValueError(f"shard must be (i, n) with 0 <= i < n, got {shard!r}")
    if num_workers is not None and num_workers < 1:
        raise ValueError(f"num_workers must be >= 1 or None (all cores), got {num_workers}")
    if backend == "joern":
        find_joern()  # fail early, before any work, when Joern is missing
    started = time.perf_counter()
    with _gc_paused():
        result = _extract_many(codes, spec, backend, cache_dir, num_workers, max_nodes, max_text_chars, progress, shard)
    result.seconds = time.perf_counter() - started
    return result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building thousands of graphs (which hold no reference cycles) would
    otherwise trigger collections that scan every graph already built, again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _extract_many(
    codes: Sequence[str | bytes],
    spec: LanguageSpec,
    backend: str,
    cache_dir: str | Path | None,
    num_workers: int | None,
    max_nodes: int,
    max_text_chars: int,
    progress: bool,
    shard: tuple[int, int] | None,
) -> ExtractionResult:
    options = {"max_nodes": max_nodes, "max_text_chars": max_text_chars}
    make_key = KeyMaker(spec.name, backend, options)
    result = ExtractionResult(graphs=[None] * len(codes), shard=shard)
    selected = range(len(codes)) if shard is None else range(shard[0], len(codes), shard[1])
    cache = _open_cache(cache_dir) if cache_dir is not None else None
    bar = tqdm(total=len(selected), desc=f"CPG {spec.name}", unit="graph", disable=not progress)
    with bar, cache if cache is not None else nullcontext():  # closing the cache writes the new graphs to disk
        misses: list[tuple[int, bytes | None, str | bytes]] = []
        graphs = result.graphs
        for index in selected:
            code = codes[index]
            key = None
            if cache is not None and isinstance(code, (str, bytes)):
                key = make_key(code if isinstance(code, str) else code.decode("utf-8", "surrogateescape"))
                graph = cache.get(key)
                if graph is not None:
                    graphs[index] = graph
                    result.num_cache_hits += 1
                    bar.update()
                    continue
            misses.append((index, key, code))
        if backend == "joern":
            _run_joern(misses, spec, options, cache, result, bar)
        else:
            _run_treesitter(misses, spec, options, cache, num_workers, result, bar)
    for index in selected:
        graph = result.graphs[index]
        if graph is not None:
            result.num_with_warnings += bool(graph.warnings)
            result.num_truncated += graph.truncated
    return result


def check_options(language: str, backend: str, max_nodes: int, max_text_chars: int) -> LanguageSpec:
    """The spec of ``language``, after checking the backend and limits (ValueError naming the bad one)."""
    spec = get_spec(language)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; supported: {', '.join(BACKENDS)}")
    if max_nodes < 2 or max_text_chars < 1:
        raise ValueError(f"max_nodes must be >= 2 and max_text_chars >= 1, got {max_nodes} and {max_text_chars}")
    return spec


def prepare_code(code: str | bytes, bounded: bool = True) -> tuple[str, list[str]]:
    """Decode bytes (with replacement and a warning when not UTF-8), replace lone surrogates (which JSON can
    carry but UTF-8 cannot encode) with U+FFFD and a warning, drop a leading byte-order mark and (``bounded``)
    cut to :data:`MAX_CODE_LINES` lines and :data:`MAX_CODE_BYTES` bytes; returns the text and its warnings."""
    warnings: list[str] = []
    if isinstance(code, bytes):
        try:
            code = code.decode("utf-8")
        except UnicodeDecodeError as error:
            warnings.append(f"input is not valid UTF-8 ({error.reason} at byte {error.start}); decoded with "
                            "replacement characters")
            code = code.decode("utf-8", "replace")
    elif not isinstance(code, str):
        raise TypeError(f"code must be str or bytes, got {type(code).__name__}")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as error:
        warnings.append(f"input holds a lone surrogate code point (at character {error.start}); replaced with U+FFFD")
        code = code.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    code = code.removeprefix("\ufeff")
    return (_bounded(code, warnings) if bounded else code), warnings


def _bounded(code: str, warnings: list[str]) -> str:
    """``code`` cut to :data:`MAX_CODE_LINES` lines and :data:`MAX_CODE_BYTES` bytes (warnings say so)."""
    if code.count("\n", 0, MAX_CODE_BYTES * 4) >= MAX_CODE_LINES:
        cut = -1
        for _ in range(MAX_CODE_LINES):
            cut = code.index("\n", cut + 1)
        warnings.append(f"input cut to its first {MAX_CODE_LINES:,} lines before parsing; the graph is partial")
        code = code[:cut]
    if len(code) > MAX_CODE_BYTES // 4 and len(encoded := code.encode("utf-8")) > MAX_CODE_BYTES:
        warnings.append(f"input cut to {MAX_CODE_BYTES:,} of its {len(encoded):,} bytes before parsing; the graph is "
                        "partial")
        code = encoded[:MAX_CODE_BYTES].decode("utf-8", "ignore")
    return code


def _open_cache(cache_dir: str | Path) -> GraphCache | None:
    """The graph cache in ``cache_dir``, or ``None`` with a warning when the folder cannot be used."""
    try:
        return GraphCache(cache_dir)
    except OSError as error:
        warnings.warn(f"graph cache {cache_dir} cannot be used ({type(error).__name__}: {error}); extracting "
                      "without a cache", RuntimeWarning, stacklevel=3)
        return None


def _empty(spec: LanguageSpec, backend: str, warning: str) -> CodePropertyGraph:
    return CodePropertyGraph(spec.name, backend, warnings=[warning])


def _extract_one(
    code: str | bytes, spec: LanguageSpec, max_nodes: int, max_text_chars: int
) -> tuple[CodePropertyGraph, bool]:
    """One tree-sitter graph and whether it failed (an unexpected exception, reported as a warning)."""
    try:
        text, warnings = prepare_code(code)
        if not text.strip():
            return _empty(spec, "treesitter", "empty input: no code to parse"), False
        graph = extract_treesitter(text, spec, max_nodes, max_text_chars)
    except Exception as error:  # noqa: BLE001 - one bad sample must not stop a dataset
        return _empty(spec, "treesitter", f"extraction failed: {type(error).__name__}: {error}"), True
    graph.warnings[:0] = warnings
    return graph, False


def _extract_joern(
    codes: list[str | bytes], spec: LanguageSpec, max_nodes: int, max_text_chars: int
) -> list[CodePropertyGraph]:
    """Joern graphs for ``codes`` in one Joern run; empty and undecodable inputs are handled as for tree-sitter."""
    prepared = [prepare_code(code) for code in codes]
    todo = [i for i, (text, _) in enumerate(prepared) if text.strip()]
    graphs = [_empty(spec, "joern", "empty input: no code to parse") for _ in codes]
    if todo:
        for i, graph in zip(todo, extract_joern([prepared[i][0] for i in todo], spec, max_nodes, max_text_chars)):
            graphs[i] = graph
    for (_, warnings), graph in zip(prepared, graphs):
        graph.warnings[:0] = warnings
    return graphs


def _finish(
    result: ExtractionResult,
    cache: GraphCache | None,
    index: int,
    key: bytes | None,
    graph: CodePropertyGraph,
    failed: bool,
    data: bytes | None = None,
) -> None:
    """Record a newly extracted graph; cache it (``data``: its entry bytes when already encoded) unless it failed."""
    result.graphs[index] = graph
    result.num_extracted += 1
    result.num_failed += failed
    if cache is not None and key is not None and not failed:
        cache.put_bytes(key, data if data is not None else encode(graph))


def _run_treesitter(
    misses: list[tuple[int, bytes | None, str | bytes]],
    spec: LanguageSpec,
    options: dict[str, int],
    cache: GraphCache | None,
    num_workers: int | None,
    result: ExtractionResult,
    bar: tqdm,
) -> None:
    workers = min(num_workers or os.cpu_count() or 1, max(1, len(misses) // 16))
    if workers <= 1:
        for index, key, code in misses:
            graph, failed = _extract_one(code, spec, options["max_nodes"], options["max_text_chars"])
            _finish(result, cache, index, key, graph, failed)
            bar.update()
        return
    chunk = max(1, min(256, len(misses) // (workers * 4)))
    jobs = [(misses[start : start + chunk], spec.name, options) for start in range(0, len(misses), chunk)]
    with multiprocessing.get_context().Pool(workers, initializer=gc.enable) as pool:
        for done in pool.imap_unordered(_work, jobs):
            for index, key, data, failed in done:
                _finish(result, cache, index, key, decode(data), failed, data)
            bar.update(len(done))


def _work(job: tuple[list[tuple[int, bytes | None, str | bytes]], str, dict[str, int]]) -> list:
    """Worker: extract a chunk; return (index, key, entry bytes, failed) per sample (the parent caches them)."""
    chunk, language, options = job
    spec = get_spec(language)
    out = []
    for index, key, code in chunk:
        graph, failed = _extract_one(code, spec, options["max_nodes"], options["max_text_chars"])
        out.append((index, key, encode(graph), failed))
    return out


def _run_joern(
    misses: list[tuple[int, bytes | None, str | bytes]],
    spec: LanguageSpec,
    options: dict[str, int],
    cache: GraphCache | None,
    result: ExtractionResult,
    bar: tqdm,
) -> None:
    for start in range(0, len(misses), JOERN_BATCH_SIZE):
        batch = misses[start : start + JOERN_BATCH_SIZE]
        valid = [(index, key, code) for index, key, code in batch if isinstance(code, (str, bytes))]
        for index, _, code in batch:
            if not isinstance(code, (str, bytes)):
                failure = _empty(spec, "joern", f"extraction failed: TypeError: code is {type(code).__name__}")
                _finish(result, cache, index, None, failure, True)
        try:
            codes = [code for _, _, code in valid]
            graphs = _extract_joern(codes, spec, options["max_nodes"], options["max_text_chars"])
        except (JoernError, OSError) as error:  # the whole batch failed: count its samples, go on with the next
            for index, _, _ in valid:
                failure = _empty(spec, "joern", f"extraction failed: {type(error).__name__}: {error}")
                _finish(result, cache, index, None, failure, True)
        else:
            for (index, key, _), graph in zip(valid, graphs):
                _finish(result, cache, index, key, graph, False)
        bar.update(len(batch))
