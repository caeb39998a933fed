"""Code summarization pairs from Java sources, by CodeSearchNet's procedure (Husain et al., 2019), as
CodeXGLUE code-to-text uses it: a documented method's Javadoc first sentence is the target, the method without its
comment is the source.

Filters, each counted when it drops a method (in this order): no Javadoc; a constructor; no body (abstract and
interface methods); a name containing ``test``; a standard override (:data:`STANDARD_OVERRIDES`); ``{@inheritDoc}``
documentation; a target under 3 tokens; a method under 3 lines; a non-English summary
(:func:`tasks.data.build.javadoc.is_english`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from tasks.data.build.java import methods, parse_java
from tasks.data.build.javadoc import INHERIT_DOC, first_sentence, is_english

#: methods CodeSearchNet calls "standard extension methods" (Python's __str__ and kin; Java's Object and
#: Comparable contracts), whose documentation describes the contract rather than the code
STANDARD_OVERRIDES = frozenset({"toString", "equals", "hashCode", "clone", "finalize", "compareTo"})
MIN_TARGET_TOKENS = 3
MIN_METHOD_LINES = 3


@dataclass(frozen=True)
class SummaryPair:
    """A method (``source``) and its summary (``target``), with where it came from."""

    source: str
    target: str
    project: str
    path: str
    method: str


def summary_pairs(text: str, project: str, path: str, drops: Counter[str]) -> Iterator[SummaryPair]:
    """The pairs of one Java file; every method dropped is counted in ``drops`` under its filter's name."""
    root, source = parse_java(text)
    for method in methods(root, source):
        drops["methods seen"] += 1
        reason = _drop_reason(method.javadoc, method.is_constructor, method.has_body, method.name, method.text)
        if reason is not None:
            drops[reason] += 1
            continue
        yield SummaryPair(method.text, first_sentence(method.javadoc or ""), project, path, method.name)


def _drop_reason(javadoc: str | None, is_constructor: bool, has_body: bool, name: str, text: str) -> str | None:
    if javadoc is None:
        return "no javadoc"
    if is_constructor:
        return "constructor"
    if not has_body:
        return "no body"
    if "test" in name.lower():
        return "test method"
    if name in STANDARD_OVERRIDES:
        return "standard override"
    if INHERIT_DOC in javadoc:
        return "inherited documentation"
    target = first_sentence(javadoc)
    if len(target.split()) < MIN_TARGET_TOKENS:
        return f"summary under {MIN_TARGET_TOKENS} tokens"
    if text.count("\n") + 1 < MIN_METHOD_LINES:
        return f"method under {MIN_METHOD_LINES} lines"
    if not is_english(target):
        return "non-English summary"
    return None
