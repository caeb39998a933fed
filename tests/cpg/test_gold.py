"""The gold suite: the whole CFG/DDG/CDG edge sets of hand-checked programs in every language (tests/cpg/gold)."""

from __future__ import annotations

import pytest

from cpg import SUPPORTED_LANGUAGES
from tests.cpg.gold import GoldProgram, check_gold, gold_languages, load_gold

#: programs per language that the suite must hold (the three first languages have the most analysis rules)
MINIMUM_PROGRAMS = {"java": 15, "c_sharp": 15, "python": 15}
PROGRAMS = [pytest.param(p, id=f"{p.language}-{p.name}") for language in gold_languages() for p in load_gold(language)]


@pytest.mark.parametrize("program", PROGRAMS)
def test_gold_program(program: GoldProgram) -> None:
    check_gold(program)


def test_every_language_has_its_gold_programs() -> None:
    sizes = {language: len(load_gold(language)) for language in gold_languages()}
    for language in SUPPORTED_LANGUAGES:
        if language == "tsx":  # TypeScript's grammar with JSX: covered by the typescript programs
            continue
        assert sizes.get(language, 0) >= MINIMUM_PROGRAMS.get(language, 6), (language, sizes)
    names = [(p.language, p.name) for language in gold_languages() for p in load_gold(language)]
    assert len(names) == len(set(names)), "gold program names repeat"


def test_a_wrong_gold_edge_fails_and_names_it() -> None:
    code = "int f(int n) {\n  int s = n;\n  return s;\n}"
    right = {"cfg": [["ENTRY", "int s = n;", "next"], ["int s = n;", "return s;", "next"], ["return s;", "EXIT", "return"]],
             "ddg": [["ENTRY", "int s = n;", "n"], ["int s = n;", "return s;", "s"]], "cdg": []}
    check_gold(GoldProgram("java", "right", code, right))
    wrong = {**right, "ddg": [["ENTRY", "return s;", "n"], ["int s = n;", "return s;", "s"]]}
    with pytest.raises(AssertionError, match=r"missing \['ENTRY -> return s;@3 \[n\]'\]; unexpected \['ENTRY -> int s = n;@2 \[n\]'\]"):
        check_gold(GoldProgram("java", "wrong", code, wrong))
    with pytest.raises(AssertionError, match="matches no node"):
        check_gold(GoldProgram("java", "typo", code, {**right, "cdg": [["ENTRY", "retrun s;"]]}))
