"""CPG extraction throughput per language on one core, on methods cut from pinned releases of public code.

    python benchmarks/cpg_languages.py --fetch /tmp/cpg-sources          # download the pinned sources (once)
    python benchmarks/cpg_languages.py --sources /tmp/cpg-sources         # all languages, 2,000 methods each
    python benchmarks/cpg_languages.py --sources /tmp/cpg-sources --languages go ruby --limit 500

The sample of each language (``SOURCES``) is built the same way: the source files of one pinned package (a Debian
package or upstream source archive, an npm package or a PyPI source archive, all reachable from a machine without the Hugging Face hub) are
shuffled with a fixed seed, every top-level function of each file is cut out with :func:`cpg.split_functions`
(a method, a function, a constructor; nested functions stay in their enclosing one), and the first ``--limit``
functions are the sample: one method per sample, the unit of per-method datasets (CodeSearchNet, Devign).
Java and C# come from the CodeXGLUE train files, which are one method per line already.

Cold = ``extract_many`` from an empty cache folder in this process (``num_workers=1``): parse, AST + CFG + DDG +
CDG + CALL/ARGUMENT, encode, write the cache entry; the fastest of ``--repeat`` passes, wall clock and CPU time
of this process. Target: >= 500 methods/s cold for each language added by extractor version 3.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.cpg_throughput import cpu_model, timed  # noqa: E402
from cpg import extract_many, split_functions  # noqa: E402
from cpg.cache import EXTRACTOR_VERSION  # noqa: E402
from cpg.languages import get_spec  # noqa: E402

SHARED_DATA = REPO_ROOT / ".." / "shared" / "data" / "codexglue-java-cs"
TARGET_RATE = 500.0
NEW_LANGUAGES = ("javascript", "typescript", "go", "php", "ruby", "c", "cpp")


@dataclass(frozen=True)
class Source:
    """Where one language's sample comes from: a pinned package and the files of it that are read."""

    language: str
    #: "deb" (apt-get download), "debsrc" (Debian's upstream source archive), "npm" (npm pack), "sdist" (pip
    #: download), "lines" (one method per line, read by path)
    kind: str
    package: str
    version: str
    patterns: tuple[str, ...]  #: globs, relative to the unpacked package
    exclude: tuple[str, ...] = ()  #: file and folder names that are left out (test data, whole-library bundles)
    sha256: str | None = None  #: of the archive, checked after download

    @property
    def folder(self) -> str:
        return f"{self.package}-{self.version}"

    @property
    def archive_prefix(self) -> str:
        """How the downloaded archive's name starts (compared in lower case)."""
        if self.kind == "deb":
            return f"{self.package}_{self.version.replace(':', '%3a')}_".lower()
        if self.kind == "debsrc":
            return f"{self.package}_{self.version}.orig.".lower()
        return f"{self.package}-{self.version}.".lower()

    def archive(self, root: Path) -> Path | None:
        """The downloaded archive under ``root``, if any."""
        found = sorted(p for p in (root / "archives").glob("*") if p.name.lower().startswith(self.archive_prefix))
        return found[0] if found else None


SOURCES: dict[str, Source] = {source.language: source for source in (
    Source("java", "lines", "codexglue-java-cs", "train", ("train.java-cs.txt.java",)),
    Source("c_sharp", "lines", "codexglue-java-cs", "train", ("train.java-cs.txt.cs",)),
    Source("python", "sdist", "Django", "4.2.16", ("*/django/**/*.py",), ("migrations",),
           "6f1616c2786c408ce86ab7e10f792b8f15742f7b7b7460243929cb371e7f1dad"),
    Source("javascript", "npm", "lodash", "4.17.21", ("package/*.js",),
           ("lodash.js", "lodash.min.js", "core.js", "core.min.js"),  # the whole library in one function
           "6a087ac9e5702a0c9d60fbcd48696012646ec8df1491dea472b150e79fcaf804"),
    Source("typescript", "npm", "rxjs", "7.8.1", ("package/src/**/*.ts",), (),
           "c532167725ab7d085123209156c93cef22f2479cb9c8527060f1cd903aa9d149"),
    Source("go", "deb", "golang-1.19-src", "1.19.8-2", ("usr/share/go-1.19/src/**/*.go",), ("testdata",),
           "2dfa82fe4f08f4e0193c532e561af4c91871f5235608f04f2bb8d57bb288df5a"),
    Source("php", "deb", "php-twig", "3.5.1-1+deb12u3", ("usr/share/php/Twig/**/*.php",), (),
           "a0ac1c8c28830e506ed8bd035d7dde4a2e9481adc7ce0138305576cab4c277c1"),
    Source("ruby", "deb", "libruby3.1", "3.1.7+really3.1.2-0+deb12u1", ("usr/lib/ruby/3.1.0/**/*.rb",), (),
           "16f896fdaba2eeb238171f2914f9a81a7e947e13f8ce77fcb107da4ba24c9533"),
    Source("c", "debsrc", "curl", "7.88.1", ("*/lib/**/*.c", "*/src/*.c"), (),
           "cdb38b72e36bc5d33d5b8810f8018ece1baa29a8f215b4495e495ded82bbf3c7"),
    Source("cpp", "debsrc", "leveldb", "1.23", ("*/db/*.cc", "*/table/*.cc", "*/util/*.cc", "*/helpers/**/*.cc"), (),
           "9a37f8a6174f09bd622bc723b55881dc541cd50747cbd08831c2a82d620f6d76"),
)}  # fmt: skip
DEBIAN_POOL = "http://deb.debian.org/debian/pool/main"


def fetch(source: Source, root: Path) -> Path:
    """Download and unpack ``source`` under ``root`` (skipped when already there); returns its archive."""
    target = root / source.folder
    download = root / "archives"
    download.mkdir(parents=True, exist_ok=True)
    if source.kind == "deb":
        command = ["apt-get", "download", f"{source.package}={source.version}"]
    elif source.kind == "npm":
        command = ["npm", "pack", "--silent", f"{source.package}@{source.version}"]
    elif source.kind == "debsrc":
        name = f"{source.package}_{source.version}.orig.tar.gz"
        command = ["download", f"{DEBIAN_POOL}/{source.package[0]}/{source.package}/{name}"]
    elif source.kind == "sdist":
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                   f"{source.package}=={source.version}", "-d", "."]
    else:
        raise ValueError(f"{source.language}: {source.kind!r} sources are read by path (--data), not fetched")
    archive = source.archive(root)
    if archive is None:
        print(f"[{source.language}] {' '.join(command)}", flush=True)
        if source.kind == "debsrc":
            urllib.request.urlretrieve(command[1], download / name)
        else:
            subprocess.run(command, cwd=download, check=True)
        archive = source.archive(root)
        if archive is None:
            raise SystemExit(f"[{source.language}] {' '.join(command)} left no {source.archive_prefix}* in {download}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if source.sha256 is not None and digest != source.sha256:
        raise SystemExit(f"[{source.language}] {archive} has sha256 {digest}, not the pinned {source.sha256}: the "
                         "published package changed; pin its new version and hash in SOURCES")
    if not target.is_dir():
        partial = root / (source.folder + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        unpack = ["dpkg-deb", "-x", str(archive), str(partial)] if source.kind == "deb" else \
            ["tar", "xzf", str(archive), "-C", str(partial)]
        subprocess.run(unpack, check=True)
        partial.rename(target)
    return archive


def sample(source: Source, root: Path, data: Path, limit: int, seed: int) -> tuple[list[str], dict[str, object]]:
    """The first ``limit`` methods of ``source`` (see the module docstring) and what they came from."""
    if source.kind == "lines":
        path = data / source.patterns[0]
        if not path.is_file():
            raise SystemExit(f"[{source.language}] no data file at {path}; pass --data FOLDER")
        codes = path.read_text(encoding="utf-8").split("\n")[:limit]
        return codes, {"source": f"CodeXGLUE {path.name}", "files": 1}
    folder = root / source.folder
    if not folder.is_dir():
        raise SystemExit(f"[{source.language}] {folder} is missing; run with --fetch {root} first")
    files = sorted({path for pattern in source.patterns for path in folder.glob(pattern)
                    if path.is_file() and not set(path.relative_to(folder).parts) & set(source.exclude)})
    random.Random(seed).shuffle(files)
    codes: list[str] = []
    used = 0
    for path in files:
        if len(codes) >= limit:
            break
        used += 1
        codes += [function.code for function in split_functions(path.read_bytes(), source.language)]
    return codes[:limit], {"source": f"{source.kind} {source.package} {source.version}", "sha256": source.sha256,
                           "files": used, "files_available": len(files)}


def measure(codes: list[str], language: str, repeat: int) -> dict[str, object]:
    """Cold extraction rates of ``codes`` (fastest of ``repeat`` passes) and what the graphs look like."""
    walls, cpus = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="cpg-languages-") as cache_dir:
            (wall, cpu), result = timed(
                lambda: extract_many(codes, language, cache_dir=cache_dir, num_workers=1, progress=False))
            walls.append(wall)
            cpus.append(cpu)
    graphs = result.graphs
    count = len(codes)
    return {
        "methods": count,
        "mean_lines": statistics.fmean(code.count("\n") + 1 for code in codes),
        "mean_nodes": statistics.fmean(graph.num_nodes for graph in graphs),
        "mean_edges": statistics.fmean(len(graph.edges) for graph in graphs),
        "with_warnings": sum(bool(graph.warnings) for graph in graphs),
        "syntax_errors": sum(any(w.startswith("syntax errors") for w in graph.warnings) for graph in graphs),
        "truncated": sum(graph.truncated for graph in graphs),
        "wall_s": walls,
        "cpu_s": cpus,
        "methods_per_s_wall": count / min(walls),
        "methods_per_s_cpu": count / min(cpus),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, default=Path("/tmp/cpg-sources"), help="unpacked packages")
    parser.add_argument("--fetch", type=Path, default=None, help="download and unpack the pinned sources here, then stop")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the CodeXGLUE Java-C# folder (Java, C#)")
    parser.add_argument("--languages", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--limit", type=int, default=2000, help="methods per language")
    parser.add_argument("--repeat", type=int, default=3, help="cold passes per language; the fastest counts")
    parser.add_argument("--seed", type=int, default=0, help="file order of the sample")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "cpg_languages.json")
    args = parser.parse_args(argv)
    if args.fetch is not None:
        for language in args.languages:
            if SOURCES[language].kind != "lines":
                fetch(SOURCES[language], args.fetch)
        print(f"sources unpacked under {args.fetch}; now: python benchmarks/{Path(__file__).name} --sources {args.fetch}")
        return
    machine = (f"{platform.platform()}, Python {platform.python_version()}, {cpu_model()}, {os.cpu_count()} cores "
               f"visible, load average {os.getloadavg()[0]:.1f} at start; tree-sitter {version('tree-sitter')}, "
               f"extractor version {EXTRACTOR_VERSION}")
    print(f"## CPG extraction per language (tree-sitter, one core, {args.limit} methods each)\n\nmachine: {machine}\n")
    print("| language | sample | methods | lines | nodes | edges | warnings | methods/s wall | methods/s CPU | "
          "target |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    rows = {}
    for language in args.languages:
        source = SOURCES[language]
        codes, origin = sample(source, args.sources, args.data, args.limit, args.seed)
        row = rows[language] = {**origin, **measure(codes, language, args.repeat)}
        target = ("met" if row["methods_per_s_wall"] >= TARGET_RATE else "MISSED") if language in NEW_LANGUAGES else "—"
        print(f"| {get_spec(language).name} | {row['source']} ({row['files']} files) | {row['methods']} | "
              f"{row['mean_lines']:.1f} | {row['mean_nodes']:.0f} | {row['mean_edges']:.0f} | "
              f"{row['with_warnings']} ({row['syntax_errors']} syntax, {row['truncated']} truncated) | "
              f"{row['methods_per_s_wall']:,.0f} | {row['methods_per_s_cpu']:,.0f} | {target} |", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    settings = {"limit": args.limit, "repeat": args.repeat, "seed": args.seed, "machine": machine}
    args.output.write_text(json.dumps({"settings": settings, "languages": rows}, indent=2) + "\n")
    print(f"\nwritten: {args.output}")


if __name__ == "__main__":
    main()
