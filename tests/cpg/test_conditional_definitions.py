"""Issue 11, item 5: a definition that is evaluated only on some paths inside one statement (after ``&&``/``||``/
``??``/``and``/``or``, in a branch of a conditional expression) may leave the earlier definition alive, so it must
not kill it. Unconditional definitions still kill."""

from __future__ import annotations

import pytest

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts

CASES = {
    "java": (
        "int f(int a) { int b = 0; if (a > 0 && (b = g()) > 0) a = 1; return b; }",
        "int b = 0;", "return b;",
    ),
    "java_ternary": (
        "int f(int a) { int b = 0; int c = a > 0 ? (b = 1) : 2; return b; }",
        "int b = 0;", "return b;",
    ),
    "c_sharp": (
        "int F(int? a) { int b = 0; var c = a ?? (b = 3); return b; }",
        "int b = 0;", "return b;",
    ),
    "python": (
        "def f(a):\n    b = 0\n    if a or (b := g()):\n        a = 1\n    return b\n",
        "b = 0", "return b",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_conditional_definition_does_not_kill(case: str) -> None:
    code, first, use = CASES[case]
    language = case.split("_ternary")[0]
    ddg = edge_texts(extract(code, language), EdgeType.DDG)
    assert (first, use) in ddg  # the path where the conditional definition is skipped
    assert any(src != first and dst == use for src, dst in ddg)  # and the conditional definition itself


def test_an_unconditional_definition_in_a_condition_still_kills() -> None:
    ddg = edge_texts(extract("int f(int a) { int b = 0; if ((b = g()) > 0 && a > 0) a = 1; return b; }", "java"),
                     EdgeType.DDG)
    assert ("int b = 0;", "return b;") not in ddg  # the left operand of && is always evaluated
