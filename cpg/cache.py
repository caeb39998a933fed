"""Content-addressed on-disk cache of code property graphs, stored in pack files.

Key: SHA-256 (32 bytes) of (extractor version, language, backend, options such as ``max_nodes``/
``max_text_chars``, code), so any change to the input or to what the extractor would produce selects another
entry.

**Entry** (little-endian): a 16-byte header (``b"CPG\\x03"``, CRC-32 of the body, byte lengths of the body's two
parts); then the body: an int32 array (counts of kinds, edge labels, warnings, nodes and edges, the truncated
flag, a "separated" flag; per node its kind id; 4 span ints per node; src, dst, type per edge; a label id per edge)
and all strings (language, backend, kind names, edge labels, warnings, node texts) as UTF-8, joined by NUL
characters — or, when some string holds a NUL,
not separated, with every string's length stored in the int array after the flags. A read checks the lengths and
the checksum, so a truncated or corrupt entry is a miss (extracted again and written anew), never a wrong graph.
Hits come back as lazy graphs (:meth:`CodePropertyGraph.from_columns`): no per-node objects are built until
someone asks for them.

**Pack** (``<dir>/<time_ns>-<host>-<pid>-<n>.pack``): ``b"CPGPACK\\x01"``, the entries back to back, an index of
(32-byte key, uint64 entry offset) pairs, and a 24-byte trailer (``b"CPGINDEX"``, index offset, entry count,
CRC-32 of the index). One pack holds many graphs, so a cache hit costs a dictionary lookup and a slice of a
memory-mapped file instead of opening a file per graph, and a large dataset is a few files, not one per sample.
A pack whose trailer or index does not check out is skipped with a logged warning (its graphs are extracted
again). When several packs hold a key, the newest (by name) wins: that is how a rebuilt entry replaces a corrupt
one.

Writers buffer new entries and write a pack when the buffer reaches :data:`PACK_BYTES` and on :meth:`close`: to a
temporary file in the folder, then ``os.replace`` — atomic, so processes and machines sharing a cache folder never
see a half-written pack, and each writer's packs have their own names. When more than :data:`MAX_SMALL_PACKS`
packs smaller than :data:`SMALL_PACK_BYTES` pile up (many small runs), :meth:`GraphCache.close` merges them.
A folder that cannot be written (a read-only mount, a full disk) gives a logged warning, never a failed run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mmap
import os
import socket
import sys
import time
import zlib
from array import array
from collections.abc import Iterable
from itertools import accumulate, count
from pathlib import Path
from struct import Struct

from cpg.graph import CodePropertyGraph, GraphColumns

#: bump when extraction output changes for the same input (invalidates every cache entry). 2: finally on every
#: way out of a try, conditional definitions, uses covered by their own statement's definition, nested scopes,
#: patterns and deconstruction, C# out/ref, yield break, goto case (issue 11). 3: CFG edge labels, DDG variable
#: names, CALL and ARGUMENT edges. 4: the gold suite's fixes: a ``for`` header's update reads what the body
#: defines, no self-edges for a statement that defines before it reads, deconstruction after its right side,
#: ``exception`` labels into handlers and on exception-only edges into a ``finally``, ``while (true)`` has no
#: false edge, definitions in one arm of a Java switch expression, and the language-table fixes of that sitting.
#: 5: truncation at ``max_nodes`` keeps every statement and flow edge (expressions go first, the warning counts
#: what was dropped), writes through PHP references, Go deferred calls on the way out, data flow through
#: ``finally`` per way in and from raising statements, Ruby ``ensure`` for unhandled exceptions and block
#: variables carried between runs (issue 24). 6: Java, C#, Python and PHP handlers take only the exceptions they
#: name, so a try whose handlers take less than every exception also leaves its body through its ``finally``
EXTRACTOR_VERSION = "6"
#: a writer writes a pack once this many bytes of new entries are buffered
PACK_BYTES = 64 << 20
#: :meth:`GraphCache.close` merges the packs smaller than this ...
SMALL_PACK_BYTES = 8 << 20
#: ... once there are more than this many of them
MAX_SMALL_PACKS = 16

_log = logging.getLogger(__name__)

_MAGIC = b"CPG\x03"
_HEADER = Struct("<4sIII")  # magic, crc32(body), len(ints) in bytes, len(strings) in bytes
_COUNTS = Struct("<7i")  # the ints start with: kinds, labels, warnings, nodes, edges, truncated, separated
_SWAP = sys.byteorder == "big"

_PACK_MAGIC = b"CPGPACK\x01"
_KEY_SIZE = 32  # a SHA-256 digest
_INDEX_ENTRY = Struct(f"<{_KEY_SIZE}sQ")  # key, offset of the entry in the pack
_TRAILER = Struct("<8sQII")  # magic, index offset, entry count, crc32(index)
_TRAILER_MAGIC = b"CPGINDEX"
_PACK_SUFFIX = ".pack"
_OFFSET_BITS = 40  # an index value is (pack number << _OFFSET_BITS) | entry offset: packs up to 1 TiB
_HOST = socket.gethostname().replace("/", "_").replace(".", "_").replace("-", "_")
_SERIAL = count()


def default_cache_dir() -> Path:
    """``$TRANSDUCER_CACHE_DIR``, else ``~/.cache/transducer-tuning/cpg``."""
    return Path(os.environ.get("TRANSDUCER_CACHE_DIR") or Path.home() / ".cache" / "transducer-tuning" / "cpg")


class KeyMaker:
    """Cache keys for one (language, backend, options) setting: SHA-256 of the setting, a NUL, the code."""

    def __init__(self, language: str, backend: str, options: dict[str, object]) -> None:
        head = json.dumps([EXTRACTOR_VERSION, language, backend, sorted(options.items())], separators=(",", ":"))
        self._head = hashlib.sha256(f"{head}\0".encode())

    def __call__(self, code: str) -> bytes:
        digest = self._head.copy()
        digest.update(code.encode("utf-8", "surrogatepass"))
        return digest.digest()


def cache_key(code: str, language: str, backend: str, options: dict[str, object]) -> bytes:
    """The 32-byte SHA-256 of everything that determines the extracted graph."""
    return KeyMaker(language, backend, options)(code)


def encode(graph: CodePropertyGraph) -> bytes:
    """The cache entry bytes of ``graph``."""
    columns = graph.columns()
    strings = [graph.language, graph.backend, *columns.kinds, *columns.labels, *graph.warnings, *columns.texts]
    joined = "\0".join(strings)
    separated = joined.count("\0") == len(strings) - 1  # no string holds a NUL: split on NUL when reading
    ints = array("i", (len(columns.kinds), len(columns.labels), len(graph.warnings), len(columns.texts),
                       len(columns.edges) // 3))
    ints.extend((int(graph.truncated), int(separated)))
    if not separated:
        ints.extend(map(len, strings))
        joined = "".join(strings)
    ints.extend(columns.node_kinds)
    ints.extend(columns.spans)
    ints.extend(columns.edges)
    ints.extend(columns.edge_labels)
    if _SWAP:
        ints.byteswap()
    packed = ints.tobytes()
    body = packed + joined.encode("utf-8", "surrogatepass")
    return _HEADER.pack(_MAGIC, zlib.crc32(body), len(packed), len(body) - len(packed)) + body


def _entry_size(data: bytes | mmap.mmap, offset: int = 0) -> int:
    """The byte length of the entry at ``offset`` as its header states it (0 when there is no header)."""
    if len(data) < offset + _HEADER.size:
        return 0
    _, _, ints_size, strings_size = _HEADER.unpack_from(data, offset)
    return _HEADER.size + ints_size + strings_size


def _is_intact(data: bytes) -> bool:
    """Whether ``data`` is one whole entry whose checksum matches."""
    if len(data) < _HEADER.size:
        return False
    magic, crc, ints_size, strings_size = _HEADER.unpack_from(data)
    return (
        magic == _MAGIC
        and len(data) == _HEADER.size + ints_size + strings_size
        and zlib.crc32(memoryview(data)[_HEADER.size :]) == crc
    )


def decode(data: bytes) -> CodePropertyGraph | None:
    """The graph in an entry, or None when the entry is truncated, corrupt or of another format."""
    if not _is_intact(data):
        return None
    ints_size = _HEADER.unpack_from(data)[2]
    kinds, labels, warnings, nodes, edges, truncated, separated = _COUNTS.unpack_from(data, _HEADER.size)
    ints = array("i")
    ints.frombytes(memoryview(data)[_HEADER.size : _HEADER.size + ints_size])
    if _SWAP:
        ints.byteswap()
        kinds, labels, warnings, nodes, edges, truncated, separated = ints[: _COUNTS.size // 4]
    text = str(memoryview(data)[_HEADER.size + ints_size :], "utf-8", "surrogatepass")
    lengths_at = _COUNTS.size // 4  # the string lengths, stored when the strings are not NUL-separated
    kinds_at = lengths_at + (0 if separated else 2 + kinds + labels + warnings + nodes)
    spans_at = kinds_at + nodes
    edges_at = spans_at + 4 * nodes
    labels_at = edges_at + 3 * edges
    node_kinds, spans, edge_ints = ints[kinds_at:spans_at], ints[spans_at:edges_at], ints[edges_at:labels_at]
    edge_labels = ints[labels_at : labels_at + edges]
    if separated and not warnings:  # the common case: kind names, labels and node texts stay one string until used
        language, backend, joined = text.split("\0", 2)
        columns = GraphColumns.from_joined(joined, kinds, labels, node_kinds, spans, edge_ints, edge_labels)
        return CodePropertyGraph.from_columns(language, backend, columns, [], bool(truncated))
    if separated:
        strings = text.split("\0")
    else:
        ends = list(accumulate(ints[lengths_at:kinds_at]))
        strings = [text[begin:end] for begin, end in zip([0, *ends], ends)]
    labels_end = 2 + kinds + labels
    columns = GraphColumns(strings[2 : 2 + kinds], node_kinds, strings[labels_end + warnings :], spans, edge_ints,
                           strings[2 + kinds : labels_end], edge_labels)  # fmt: skip
    return CodePropertyGraph.from_columns(
        strings[0], strings[1], columns, strings[labels_end : labels_end + warnings], bool(truncated)
    )


class GraphCache:
    """A cache folder of packs: :meth:`get` a graph by key (None on a miss), :meth:`put` one.

    New entries are visible to :meth:`get` at once and reach the disk when a pack is written (every
    :data:`PACK_BYTES` of them, and at :meth:`close`); use the cache as a context manager. The index of the packs
    already in the folder is read on the first :meth:`get`; packs written later by other processes are not seen.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._maps: list[mmap.mmap] | None = None  # the packs read so far, indexed by pack number
        self._index: dict[bytes, int] = {}  # key -> (pack number << _OFFSET_BITS) | entry offset
        self._pending: dict[bytes, bytes] = {}
        self._pending_bytes = 0

    def __enter__(self) -> GraphCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def packs(self) -> list[Path]:
        """The pack files in the folder, oldest first."""
        return sorted(self.directory.glob(f"*{_PACK_SUFFIX}"), key=lambda path: path.name)

    def __len__(self) -> int:
        """Number of distinct keys stored or buffered (damaged entries included: they are found out on read)."""
        if self._maps is None:
            self._load()
        return len(self._index.keys() | self._pending.keys())

    def __contains__(self, key: bytes) -> bool:
        return self.get_bytes(key) is not None

    def get(self, key: bytes) -> CodePropertyGraph | None:
        data = self.get_bytes(key)
        return decode(data) if data is not None else None

    def get_bytes(self, key: bytes) -> bytes | None:
        """The stored entry bytes of ``key`` (not checked: :func:`decode` does that), or None."""
        data = self._pending.get(key)
        if data is not None:
            return data
        if self._maps is None:
            self._load()
        location = self._index.get(key)
        if location is None:
            return None
        pack, offset = self._maps[location >> _OFFSET_BITS], location & ((1 << _OFFSET_BITS) - 1)
        return pack[offset : offset + _entry_size(pack, offset)]

    def put(self, key: bytes, graph: CodePropertyGraph) -> None:
        self.put_bytes(key, encode(graph))

    def put_bytes(self, key: bytes, data: bytes) -> None:
        """Buffer an entry; a pack is written once :data:`PACK_BYTES` are buffered."""
        if len(key) != _KEY_SIZE:
            raise ValueError(f"a cache key is a {_KEY_SIZE}-byte SHA-256 digest, got {len(key)} bytes")
        self._pending_bytes += len(data) - len(self._pending.get(key, b""))
        self._pending[key] = data
        if self._pending_bytes >= PACK_BYTES:
            self.flush()

    def flush(self) -> Path | None:
        """Write the buffered entries as a new pack (atomically); return its path, or None when nothing was buffered
        or the folder cannot be written (a logged warning: the cache is an optimisation, never a reason to fail)."""
        if not self._pending:
            return None
        try:
            path = _write_pack(self.directory, self._pending.items())
        except OSError as error:  # a read-only or full disk: the graphs are fine, they just stay uncached
            _log.warning(
                "cannot write a graph cache pack in %s (%s); %d new graphs stay uncached",
                self.directory,
                error,
                len(self._pending),
            )
            path = None
        self._pending, self._pending_bytes = {}, 0
        if self._maps is not None and path is not None:  # the new entries stay visible through the new pack
            self._add(path)
        return path

    def close(self) -> None:
        """Write the buffered entries, merge small packs when too many piled up, release the mapped files."""
        self._release()
        self.flush()
        small = [path for path in self.packs() if _size(path) < SMALL_PACK_BYTES]
        if len(small) > MAX_SMALL_PACKS:
            try:
                self._merge(small)
            except OSError as error:  # a read-only folder: the packs stay as they are
                _log.warning("cannot merge the small graph cache packs in %s (%s)", self.directory, error)

    def compact(self) -> Path | None:
        """Merge every pack of the folder into one, keeping the newest intact entry per key (damaged packs and
        entries are dropped). Returns the new pack (None when the folder holds no intact entry)."""
        self.flush()
        return self._merge(self.packs())

    def _merge(self, paths: list[Path]) -> Path | None:
        self._release()  # the folder is read again on the next get: the merged packs are gone
        source = GraphCache(self.directory)
        source._load(paths)
        try:
            entries = ((key, source.get_bytes(key)) for key in list(source._index))
            path = _write_pack(self.directory, ((key, data) for key, data in entries if _is_intact(data)))
        finally:
            source._release()
        for old in paths:
            if old != path:
                with contextlib.suppress(OSError):  # merged by another process already, or still open elsewhere
                    old.unlink()
        return path

    def _release(self) -> None:
        for pack in self._maps or ():
            pack.close()
        self._maps, self._index = None, {}

    def _load(self, paths: Iterable[Path] | None = None) -> None:
        self._maps, self._index = [], {}
        for path in self.packs() if paths is None else paths:
            self._add(path)

    def _add(self, path: Path) -> None:
        """Map one pack and index its entries (newer packs are added later and win); skip a damaged pack."""
        try:
            with open(path, "rb") as file:
                pack = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:  # merged by another process since the folder was listed
            return
        except (OSError, ValueError) as error:  # unreadable, or empty (mmap refuses empty files)
            _log.warning("ignoring the graph cache pack %s (%s); its graphs will be extracted again", path, error)
            return
        try:
            keys = _read_index(pack)
        except ValueError as error:
            pack.close()
            _log.warning(
                "ignoring the damaged graph cache pack %s (%s); its graphs will be extracted again. Delete it, or "
                "run cpg.cache.GraphCache(folder).compact(), to silence this warning",
                path,
                error,
            )
            return
        number = len(self._maps) << _OFFSET_BITS
        self._maps.append(pack)
        self._index.update((key, number | offset) for key, offset in keys)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read_index(pack: mmap.mmap) -> list[tuple[bytes, int]]:
    """The (key, offset) pairs of a pack; ValueError saying why when the pack is damaged."""
    size = len(pack)
    if size < len(_PACK_MAGIC) + _TRAILER.size or pack[: len(_PACK_MAGIC)] != _PACK_MAGIC:
        raise ValueError("not a pack file")
    magic, index_offset, entries, crc = _TRAILER.unpack_from(pack, size - _TRAILER.size)
    index_end = index_offset + entries * _INDEX_ENTRY.size
    if magic != _TRAILER_MAGIC or index_end != size - _TRAILER.size or index_offset < len(_PACK_MAGIC):
        raise ValueError("truncated, or no index")
    index = pack[index_offset:index_end]
    if zlib.crc32(index) != crc:
        raise ValueError("index checksum mismatch")
    return list(_INDEX_ENTRY.iter_unpack(index))


def _write_pack(directory: Path, entries: Iterable[tuple[bytes, bytes]]) -> Path | None:
    """Write ``entries`` as a new pack in ``directory`` (temporary file, then an atomic rename); None if empty."""
    name = f"{time.time_ns():020d}-{_HOST}-{os.getpid()}-{next(_SERIAL)}"
    temporary, path = directory / f".{name}.tmp", directory / f"{name}{_PACK_SUFFIX}"
    index = bytearray()
    try:
        with open(temporary, "xb") as file:
            offset = file.write(_PACK_MAGIC)
            for key, data in entries:
                index += _INDEX_ENTRY.pack(key, offset)
                offset += file.write(data)
            file.write(index)
            file.write(_TRAILER.pack(_TRAILER_MAGIC, offset, len(index) // _INDEX_ENTRY.size, zlib.crc32(index)))
        if not index:
            temporary.unlink()
            return None
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path
