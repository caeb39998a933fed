"""Go (tree-sitter-go): CFG, DDG and CDG edges of small programs (whole gold graphs: tests/cpg/gold/go.json)."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from cpg.languages import get_spec, language_for_path
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "go")
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


def test_labeled_break_out_of_select_in_an_endless_loop_and_goto() -> None:
    code = """func drain(ch chan int, done chan bool) (n int) {
outer:
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				break outer
			}
			n += v
		case <-done:
			goto end
		}
	}
	n = -n
end:
	return n
}"""
    cfg, ddg, cdg = _flow(code)
    loop = norm(code.split("outer:", 1)[1].split("n = -n")[0])
    select = norm(loop[len("for { ") : -len(" }")])
    assert (loop, select) in cfg and (loop, "n = -n") not in cfg  # for {} is left only by a jump
    assert {(select, "v, ok := <-ch"), (select, "<-done")} == {(a, b) for a, b in cfg if a == select}  # no default
    assert ("v, ok := <-ch", "if !ok { break outer }") in cfg  # the communication is the arm's first statement
    assert ("break outer", "n = -n") in cfg and ("goto end", "return n") in cfg and ("n += v", loop) in cfg
    assert ("v, ok := <-ch", "n += v") in ddg and ("n += v", "n = -n") in ddg and ("n += v", "return n") in ddg
    assert ("n = -n", "return n") in ddg
    assert (select, "v, ok := <-ch") in cdg and ("if !ok { break outer }", "n += v") in cdg


def test_closures_are_units_with_captured_uses_and_defer_evaluates_its_call_in_place() -> None:
    code = """func counter(start int) func() int {
	n := start
	defer log(n)
	inc := func() int {
		n++
		return n
	}
	return inc
}"""
    cfg, ddg, _ = _flow(code)
    literal = "func() int { n++ return n }"
    assert {(literal, "n++"), ("n++", "return n"), ("return n", "")} <= cfg  # the literal's own CFG
    assert ("n := start", "defer log(n)") in cfg and ("defer log(n)", "inc := " + literal) in cfg
    assert ("n := start", "defer log(n)") in ddg  # defer reads its arguments where it stands
    assert ("n := start", "inc := " + literal) in ddg  # n, captured by the literal where it is written
    assert ("n++", "return n") in ddg and ("inc := " + literal, "return inc") in ddg
    assert not any(src == "n := start" and dst in ("n++", "return n") for src, dst in ddg)  # no flow into the unit


def test_type_switch_multiple_assignment_zero_values_and_range() -> None:
    code = """func f(v interface{}, m map[string]int) (s string) {
	var total int
	var k, w string
	for k, w = range names(m) {
		total++
	}
	switch t := v.(type) {
	case int, *big.Int:
		s = fmt.Sprint(t, total)
	case nil:
		return k + w
	}
	return
}"""
    cfg, ddg, _ = _flow(code)
    loop = "for k, w = range names(m) { total++ }"
    switch = "switch t := v.(type) { case int, *big.Int: s = fmt.Sprint(t, total) case nil: return k + w }"
    assert ("var total int", "total++") in ddg  # var without a value defines the zero value
    assert (loop, "return k + w") in ddg  # the range targets, assigned by the loop header
    assert ("total++", switch) not in ddg and ("total++", "s = fmt.Sprint(t, total)") in ddg
    assert (switch, "s = fmt.Sprint(t, total)") in ddg  # t, the type switch's alias
    assert {(switch, "return"), (switch, "s = fmt.Sprint(t, total)"), (switch, "return k + w")} <= cfg
    assert ("s = fmt.Sprint(t, total)", "return") in cfg and ("return k + w", "") in cfg


def test_short_circuit_operands_define_nothing_so_earlier_definitions_survive() -> None:
    # Go assignments are statements: a && b cannot define, and &x in a call is a use of x
    code = "func f(a *T) int { x := 0; if a != nil && fill(&x) { x++ }; return x }"
    _, ddg, _ = _flow(code)
    assert {("x := 0", "if a != nil && fill(&x) { x++ }"), ("x := 0", "x++"), ("x := 0", "return x"),
            ("x++", "return x")} <= ddg  # fmt: skip


def test_a_statement_snippet_is_a_unit_and_declarations_are_not() -> None:
    graph = extract("package p\n\nimport \"fmt\"\n\nvar g = 1\n\nfunc h() { fmt.Println(g) }\n", "go")
    entries = {norm(graph.nodes[e.src].text) for e in graph.edges_of(EdgeType.CFG) if graph.nodes[e.dst].text == ""}
    assert entries == {"fmt.Println(g)"}  # only h has a CFG; package-level declarations are no statements
    cfg, ddg, _ = _flow("x := 1\ny := x + 1\n")
    assert ("x := 1", "y := x + 1") in cfg and ("x := 1", "y := x + 1") in ddg


def test_syntax_error_gives_a_partial_graph_and_a_warning() -> None:
    graph = extract("func f(x int) int {\n\ty := x +\n\tif y > {\n\t\treturn 1\n\t}\n\treturn y\n}", "go")
    assert any("syntax error" in warning for warning in graph.warnings)
    assert graph.num_nodes > 5 and any(norm(n.text) == "return y" for n in graph.nodes)


def test_registry() -> None:
    assert get_spec("golang").name == "go" and language_for_path("cmd/main.go") == "go"


DEFERS = """func f(x int) (err error) {
	defer a()
	if x > 0 {
		defer b(x)
		return nil
	}
	defer func() {
		if err != nil {
			report(err)
		}
	}()
	if x < 0 {
		panic("negative")
	}
	if x == 7 {
		os.Exit(1)
	}
	err = check(x)
}"""


def test_deferred_calls_run_on_every_way_out_latest_first() -> None:
    cfg, ddg, _ = _flow(DEFERS)
    closure = "func() { if err != nil { report(err) } }()"
    # return, panic and falling off the end run the calls registered on the way, latest first, then leave
    assert ("return nil", "b(x)") in cfg and ("b(x)", "a()") in cfg and ("a()", "") in cfg
    assert ('panic("negative")', closure) in cfg and ("err = check(x)", closure) in cfg and (closure, "a()") in cfg
    assert not any(dst == "" for src, dst in cfg if src in ("return nil", 'panic("negative")', "err = check(x)"))
    assert ("os.Exit(1)", "") in cfg and not any(src == "os.Exit(1)" and dst for src, dst in cfg)  # runs none
    assert ("b(x)", closure) not in cfg and (closure, "b(x)") not in cfg  # never registered together
    assert ("defer b(x)", "return nil") in cfg and ("return nil", "a()") not in cfg  # b is certainly registered
    # the arguments are read where the defer stands; a deferred literal reads the variables when it runs
    assert (norm(DEFERS), "defer b(x)") in ddg
    assert ("err = check(x)", closure) in ddg and not any(dst == "b(x)" for _, dst in ddg)


def test_a_defer_registered_on_some_paths_may_be_skipped() -> None:
    code = """func g(c bool) {
	defer first()
	if c {
		defer second()
	}
	work()
}"""
    cfg, _, _ = _flow(code)
    assert {("work()", "second()"), ("work()", "first()"), ("second()", "first()"), ("first()", "")} <= cfg
    assert ("work()", "") not in cfg and ("second()", "") not in cfg  # first() is registered on every path
    # a defer in a loop: registered once per iteration, or never; its call is one node, run once on the way out
    cfg, _, _ = _flow("func h(fs []F) error {\n\tfor _, f := range fs {\n\t\tdefer f.Close()\n\t}\n\treturn nil\n}")
    assert {("return nil", "f.Close()"), ("return nil", ""), ("f.Close()", "")} <= cfg
