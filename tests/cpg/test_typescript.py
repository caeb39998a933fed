"""TypeScript and TSX (tree-sitter-typescript): CFG, DDG and CDG edges of small programs (the whole gold graphs are
in tests/cpg/gold/typescript.json)."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from cpg.languages import get_spec, language_for_path
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str, language: str = "typescript") -> tuple[set, set, set]:
    graph = extract(code, language)
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


def test_closures_are_units_with_captured_uses_and_destructuring_defines() -> None:
    code = ("function f(o: {a: number, b?: number}, xs: number[]): number { const {a, b = a} = o; "
            "let [first, ...rest] = xs; const add = (y: number): number => y + a + first; "
            "function local(z: number) { return z * b!; } return add(local(rest.length)); }")
    cfg, ddg, _ = _flow(code)
    arrow, local = "(y: number): number => y + a + first", "function local(z: number) { return z * b!; }"
    assert (arrow, "y + a + first") in cfg and ("y + a + first", "") in cfg  # an expression body is its statement
    assert (local, "return z * b!;") in cfg
    assert ("const {a, b = a} = o;", f"const add = {arrow};") in ddg  # a, captured where the arrow is written
    assert ("let [first, ...rest] = xs;", f"const add = {arrow};") in ddg  # first, from the array pattern
    assert ("const {a, b = a} = o;", local) in ddg  # b, captured by the local function at its declaration
    assert ("let [first, ...rest] = xs;", "return add(local(rest.length));") in ddg  # rest
    assert (arrow, "y + a + first") in ddg and (local, "return z * b!;") in ddg  # parameters in their own units


def test_short_circuit_and_logical_assignments_are_conditional_definitions() -> None:
    code = ("function f(a: number, o?: string): string { let b = 'x'; if (a > 0 && (b = g(a))) a = 1; "
            "let c: string | undefined = o; c ??= b; return b + c; }")
    _, ddg, _ = _flow(code)
    cond = "if (a > 0 && (b = g(a))) a = 1;"
    assert ("let b = 'x';", "return b + c;") in ddg and (cond, "return b + c;") in ddg  # b = g(a) may not run
    assert ("let c: string | undefined = o;", "return b + c;") in ddg and ("c ??= b;", "return b + c;") in ddg
    assert ("let c: string | undefined = o;", "c ??= b;") in ddg  # ??= reads c first


def test_types_name_no_variables_and_namespaces_and_static_blocks_are_units() -> None:
    code = ("interface P { x: number } type Q = P; enum E { A = 1 }\n"
            "namespace N { const k = 1; export const m = k + 1; }\n"
            "class C { static s: number; static { C.s = init(); } m(this: C, p: P): p is P { return p.x > 0; } }\n"
            "let t: typeof u = u as Q; const w = t!; w!.x = 2;")
    graph = extract(code, "typescript")
    cfg, ddg = edge_texts(graph, EdgeType.CFG), edge_texts(graph, EdgeType.DDG)
    assert ("const k = 1;", "export const m = k + 1;") in cfg and ("const k = 1;", "export const m = k + 1;") in ddg
    assert ("static { C.s = init(); }", "C.s = init();") in cfg
    assert ("m(this: C, p: P): p is P { return p.x > 0; }", "return p.x > 0;") in ddg  # p is a parameter
    assert ("let t: typeof u = u as Q;", "const w = t!;") in ddg and ("const w = t!;", "w!.x = 2;") in ddg
    script = {a for a, b in cfg if b == ""} | {b for a, b in cfg}
    assert not any(text.startswith(("interface", "type Q", "enum")) for text in script)  # declarations only


def test_tsx_is_its_own_grammar_with_jsx_and_captured_uses() -> None:
    code = ("function List({items, onPick}: Props) { const [sel, setSel] = useState<number>(-1); return <ul>"
            "{items.map((it: Item, i: number) => <li key={i} onClick={() => onPick(it, sel)}>{it.name}</li>)}</ul>; }")
    cfg, ddg, _ = _flow(code, "tsx")
    ret = norm(code.split("; ", 1)[1])[: -len(" }")]
    assert ("const [sel, setSel] = useState<number>(-1);", ret) in ddg  # sel, read by the nested arrows
    assert (norm(code), ret) in ddg  # items and onPick, from the destructured parameter
    li = "<li key={i} onClick={() => onPick(it, sel)}>{it.name}</li>"
    assert (f"(it: Item, i: number) => {li}", li) in ddg  # it and i, captured by the click handler
    assert extract("let v = <number>w;", "typescript").warnings == []  # a type assertion in .ts ...
    assert any("syntax error" in w for w in extract("let v = <number>w;", "tsx").warnings)  # ... is JSX in .tsx


def test_a_bare_class_method_parses_inside_a_wrapper_class_but_a_script_stays_a_script() -> None:
    method = "private async load(id: string): Promise<void> { const r = await api.get(id); if (!r.ok) throw r; }"
    cfg, ddg, _ = _flow(method)
    assert (method, "const r = await api.get(id);") in cfg and ("throw r;", "") in cfg
    assert ("if (!r.ok) throw r;", "") in cfg
    assert (method, "const r = await api.get(id);") in ddg and ("const r = await api.get(id);", "throw r;") in ddg
    cfg, _, _ = _flow("init();\nrun(init);")  # would also parse as two method signatures inside a class
    assert cfg == {("init(); run(init);", "init();"), ("init();", "run(init);"), ("run(init);", "")}


def test_syntax_error_gives_a_partial_graph_and_a_warning() -> None:
    graph = extract("function f(x: number): number { let y = x; if (y > ) { return 1; } return y; }", "typescript")
    assert any("syntax error" in warning for warning in graph.warnings)
    assert graph.num_nodes > 5 and any(norm(n.text) == "return y;" for n in graph.nodes)


def test_registry() -> None:
    assert [language_for_path(p) for p in ("a.ts", "b.mts", "c.cts", "d.d.ts", "e.tsx")] == [
        "typescript", "typescript", "typescript", "typescript", "tsx"
    ]
    assert get_spec("ts").name == "typescript" and get_spec("tsx").name == "tsx"
