"""Session-wide test setup."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def command_line_of_a_python_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests call the CLIs with argument lists, as Python code does; pytest's own arguments in ``sys.argv`` would
    otherwise look like a second command line to LightningCLI (which warns that both were given)."""
    monkeypatch.setattr(sys, "argv", sys.argv[:1])
