"""Registry of the languages the tree-sitter backend supports.

Adding a language: write ``cpg/languages/<name>.py`` with one :class:`LanguageSpec` and list it in ``_SPECS``.
"""

from __future__ import annotations

from cpg.languages.c import C
from cpg.languages.cpp import CPP
from cpg.languages.csharp import CSHARP
from cpg.languages.go import GO
from cpg.languages.java import JAVA
from cpg.languages.javascript import JAVASCRIPT
from cpg.languages.php import PHP
from cpg.languages.python import PYTHON
from cpg.languages.ruby import RUBY
from cpg.languages.spec import LanguageSpec
from cpg.languages.typescript import TSX, TYPESCRIPT

_SPECS: tuple[LanguageSpec, ...] = (JAVA, CSHARP, PYTHON, JAVASCRIPT, C, CPP, TYPESCRIPT, TSX, GO, PHP, RUBY)

SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(spec.name for spec in _SPECS)

_BY_NAME: dict[str, LanguageSpec] = {
    alias: spec for spec in _SPECS for alias in (spec.name, *spec.aliases)
}


def get_spec(language: str) -> LanguageSpec:
    """The spec of ``language`` (a name or an alias such as ``cs``/``c#``); ValueError listing the supported ones."""
    spec = _BY_NAME.get(language.strip().lower()) if isinstance(language, str) else None
    if spec is None:
        aliases = ", ".join(f"{s.name} (or {', '.join(s.aliases)})" if s.aliases else s.name for s in _SPECS)
        raise ValueError(f"unsupported language {language!r}; supported: {aliases}")
    return spec


def normalize_language(language: str) -> str:
    """Canonical name of ``language`` (``"csharp"`` -> ``"c_sharp"``)."""
    return get_spec(language).name


def language_for_path(path: str) -> str | None:
    """The language a file extension stands for (``.java`` -> ``java``), or None."""
    lowered = path.lower()
    for spec in _SPECS:
        if lowered.endswith(spec.extensions):
            return spec.name
    return None


__all__ = ["SUPPORTED_LANGUAGES", "LanguageSpec", "get_spec", "language_for_path", "normalize_language"]
