"""Install the pinned Joern (``cpg/joern_maven/pom.xml``) from Maven Central into a folder Joern runs from.

    python cpg/joern_install.py install [--home DIR]   # standard library only: CI runs it before installing Python deps
    transducer joern install [--home DIR]

Maven resolves the pinned artifacts with ``--strict-checksums`` (a download whose checksum does not match fails)
into ``DIR/lib``; the installer then writes Joern's layout around them: the ``.installation_root`` marker and the
launchers ``joern-parse``, ``joern-export`` and the frontends ``joern-parse`` runs (``javasrc2cpg``, ``c2cpg.sh``,
``pysrc2cpg``). A launcher passes ``-J<option>`` and ``$JAVA_OPTS`` (e.g. ``-Xmx8g``) to the JVM, as Joern's own
scripts do. Installing again is a no-op while the recipe and the launchers are unchanged (``DIR/recipe.sha256``). The default ``DIR`` is where :func:`cpg.joern.find_joern`
looks when neither ``$JOERN_HOME`` nor ``PATH`` has Joern.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parent / "joern_maven" / "pom.xml"
DEFAULT_HOME = Path.home() / ".cache" / "transducer-tuning" / "joern"
#: launcher name (what joern-parse and its frontends call) -> main class
LAUNCHERS = {
    "joern-parse": "io.joern.joerncli.JoernParse",
    "joern-export": "io.joern.joerncli.JoernExport",
    "javasrc2cpg": "io.joern.javasrc2cpg.Main",
    "c2cpg.sh": "io.joern.c2cpg.Main",
    "pysrc2cpg": "io.joern.pysrc2cpg.NewMain",
}
LAUNCHER = """#!/usr/bin/env bash
# Joern launcher written by cpg/joern_install.py: -J<option> goes to the JVM (as in Joern's own scripts), the rest
# to {main}.
ROOT="$(cd "$(dirname "$0")" && pwd)"
jvm=(-Xmx2g $JAVA_OPTS) args=()
for a in "$@"; do if [[ $a == -J* ]]; then jvm+=("${{a#-J}}"); else args+=("$a"); fi; done
exec java "${{jvm[@]}}" -cp "$ROOT/lib/*" {main} "${{args[@]}}"
"""


def recipe_digest() -> str:
    """SHA-256 of what an installation is made of: the recipe and the launcher template."""
    return hashlib.sha256(RECIPE.read_bytes() + LAUNCHER.encode()).hexdigest()


def install(home: Path = DEFAULT_HOME, log=print) -> Path:
    """Install the recipe's Joern into ``home`` (nothing to do when it is there already); returns ``home``."""
    stamp = home / "recipe.sha256"
    if stamp.is_file() and stamp.read_text().strip() == recipe_digest() and (home / "joern-parse").is_file():
        log(f"joern: already installed in {home}")
        return home
    for tool in ("mvn", "java"):
        if shutil.which(tool) is None:
            raise SystemExit(f"joern install: `{tool}` is not on PATH; the recipe needs a JDK (11+) and Maven")
    partial = home.with_name(home.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    log(f"joern: resolving {RECIPE} from Maven Central into {partial / 'lib'} ...")
    command = ["mvn", "-q", "-B", "--strict-checksums", "-f", str(RECIPE), "dependency:copy-dependencies",
               f"-DoutputDirectory={partial / 'lib'}"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"joern install: maven failed ({completed.returncode}):\n"
                         + (completed.stdout + completed.stderr)[-3000:])
    (partial / ".installation_root").write_text("")
    for name, main in LAUNCHERS.items():
        launcher = partial / name
        launcher.write_text(LAUNCHER.format(main=main))
        launcher.chmod(0o755)
    (partial / "recipe.sha256").write_text(recipe_digest() + "\n")
    shutil.rmtree(home, ignore_errors=True)
    os.replace(partial, home)
    log(f"joern: installed in {home} ({len(list((home / 'lib').glob('*.jar')))} jars)")
    return home


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="transducer joern", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    install_parser = commands.add_parser("install", help="install the pinned Joern from Maven Central")
    install_parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help=f"default {DEFAULT_HOME}")
    args = parser.parse_args(argv)
    install(args.home)


if __name__ == "__main__":
    main(sys.argv[1:])
