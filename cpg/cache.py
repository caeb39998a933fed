"""Content-addressed on-disk cache of code property graphs.

Key: SHA-256 of (extractor version, language, backend, options such as ``max_nodes``/``max_text_chars``, code),
so any change to the input or to what the extractor would produce selects a different entry. Entries live at
``<dir>/<key[:2]>/<key>.cpg``.

Entry format (little-endian): a 16-byte header (``b"CPG\\x02"``, CRC-32 of the body, byte lengths of the body's
two parts); then the body: an int32 array (counts of kinds, warnings, nodes and edges, the truncated flag, a "separated"
flag; per node its kind id; 4 span ints per node; src, dst, type per edge) and all strings (language, backend,
kind names, warnings, node texts) as UTF-8, joined by NUL characters — or, when some string holds a NUL, not
separated, with every string's length stored in the int array after the flags. A read checks the lengths and the
checksum, so a truncated or corrupt entry is a miss (and is rewritten by the next extraction), never a wrong
graph. Hits come back as lazy graphs (:meth:`CodePropertyGraph.from_columns`): no per-node objects are built
until someone asks for them.

Writes go to a temporary file in the same folder (named by host, process and a counter), then ``os.replace``:
atomic, so processes and machines sharing a cache folder never see a half-written entry (the last writer of
identical content wins).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
import zlib
from array import array
from itertools import accumulate, count
from pathlib import Path
from struct import Struct

from cpg.graph import CodePropertyGraph, GraphColumns

#: bump when extraction output changes for the same input (invalidates every cache entry)
EXTRACTOR_VERSION = "1"

_MAGIC = b"CPG\x02"
_HEADER = Struct("<4sIII")  # magic, crc32(body), len(ints) in bytes, len(strings) in bytes
_COUNTS = 6  # the ints start with: kinds, warnings, nodes, edges, truncated, separated
_SWAP = sys.byteorder == "big"
_READ_SIZE = 1 << 14  # most entries are smaller: one read
_HOST = socket.gethostname().replace("/", "_").replace(".", "_")
_SERIAL = count()


def default_cache_dir() -> Path:
    """``$TRANSDUCER_CACHE_DIR``, else ``~/.cache/transducer-tuning/cpg``."""
    return Path(os.environ.get("TRANSDUCER_CACHE_DIR") or Path.home() / ".cache" / "transducer-tuning" / "cpg")


class KeyMaker:
    """Cache keys for one (language, backend, options) setting: SHA-256 hex of the setting, a NUL, the code."""

    def __init__(self, language: str, backend: str, options: dict[str, object]) -> None:
        head = json.dumps([EXTRACTOR_VERSION, language, backend, sorted(options.items())], separators=(",", ":"))
        self._head = hashlib.sha256(f"{head}\0".encode())

    def __call__(self, code: str) -> str:
        digest = self._head.copy()
        digest.update(code.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()


def cache_key(code: str, language: str, backend: str, options: dict[str, object]) -> str:
    """Hex SHA-256 of everything that determines the extracted graph."""
    return KeyMaker(language, backend, options)(code)


def encode(graph: CodePropertyGraph) -> bytes:
    """The cache entry bytes of ``graph``."""
    columns = graph.columns()
    strings = [graph.language, graph.backend, *columns.kinds, *graph.warnings, *columns.texts]
    joined = "\0".join(strings)
    separated = joined.count("\0") == len(strings) - 1  # no string holds a NUL: split on NUL when reading
    ints = array("i", (len(columns.kinds), len(graph.warnings), len(columns.texts), len(columns.edges) // 3))
    ints.extend((int(graph.truncated), int(separated)))
    if not separated:
        ints.extend(map(len, strings))
        joined = "".join(strings)
    ints.extend(columns.node_kinds)
    ints.extend(columns.spans)
    ints.extend(columns.edges)
    if _SWAP:
        ints.byteswap()
    packed = ints.tobytes()
    body = packed + joined.encode("utf-8", "surrogatepass")
    return _HEADER.pack(_MAGIC, zlib.crc32(body), len(packed), len(body) - len(packed)) + body


def decode(data: bytes) -> CodePropertyGraph | None:
    """The graph in an entry, or None when the entry is truncated, corrupt or of another format."""
    if len(data) < _HEADER.size:
        return None
    magic, crc, ints_size, strings_size = _HEADER.unpack_from(data)
    body = data[_HEADER.size :]
    if magic != _MAGIC or len(body) != ints_size + strings_size or zlib.crc32(body) != crc:
        return None
    ints = array("i")
    ints.frombytes(body[:ints_size])
    if _SWAP:
        ints.byteswap()
    kinds, warnings, nodes, edges, truncated, separated = ints[:_COUNTS]
    text = body[ints_size:].decode("utf-8", "surrogatepass")
    position = _COUNTS
    if separated:
        strings = text.split("\0")
    else:
        position += 2 + kinds + warnings + nodes
        ends = list(accumulate(ints[_COUNTS:position]))
        strings = [text[start:end] for start, end in zip([0, *ends], ends)]
    spans = position + nodes
    columns = GraphColumns(
        strings[2 : 2 + kinds],
        ints[position:spans],
        strings[2 + kinds + warnings :],
        ints[spans : spans + 4 * nodes],
        ints[spans + 4 * nodes : spans + 4 * nodes + 3 * edges],
    )
    return CodePropertyGraph.from_columns(
        strings[0], strings[1], columns, strings[2 + kinds : 2 + kinds + warnings], bool(truncated)
    )


class GraphCache:
    """A cache folder: :meth:`get` a graph by key (None on a miss), :meth:`put` one (atomically)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._root = str(self.directory)
        self._folders: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self._root}/{key[:2]}/{key}.cpg"

    def get(self, key: str) -> CodePropertyGraph | None:
        try:
            descriptor = os.open(self.path(key), os.O_RDONLY)
        except OSError:
            return None
        try:
            data = os.read(descriptor, _READ_SIZE)
            if len(data) == _READ_SIZE:  # a large entry: read the rest
                data += b"".join(iter(lambda: os.read(descriptor, _READ_SIZE), b""))
        finally:
            os.close(descriptor)
        return decode(data)

    def put(self, key: str, graph: CodePropertyGraph) -> None:
        self.put_bytes(key, encode(graph))

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self.path(key)
        folder = path[: path.rindex("/")]
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        temporary = f"{folder}/.{key}.{_HOST}.{os.getpid()}.{next(_SERIAL)}.tmp"  # unique per writer
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(descriptor, view) :]
            finally:
                os.close(descriptor)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
