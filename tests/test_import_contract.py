"""The layers hold (cpg < transducer < tasks < benchmarks, each importing only from the layers below it), and no
package has an import cycle between its modules (one named exception, in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contract_in_pyproject_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_transducer_imports_nothing_from_tasks() -> None:
    """The models layer stands alone: importing every transducer module loads no tasks module."""
    code = ("import importlib, pkgutil, sys, transducer\n"
            "for m in pkgutil.walk_packages(transducer.__path__, 'transducer.'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n == 'tasks' or n.startswith('tasks.')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
