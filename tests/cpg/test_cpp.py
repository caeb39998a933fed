"""C++ (tree-sitter-cpp): CFG, DDG and CDG edges of small functions (whole graphs: tests/cpg/gold/cpp.json)."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "c++")
    assert graph.language == "cpp" and not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


def test_init_and_default_captures_are_read_where_the_lambda_is_created() -> None:
    code = """int apply(std::vector<int>& xs, int base) {
  int scale = 2;
  auto shift = [k = base + 1, &scale](int y) { return y + k * scale; };
  auto sum = [&] {
    int s = 0;
    for (int x : xs) s += shift(x);
    return [=] { return s * scale; }();
  };
  return sum();
}"""
    cfg, ddg, _ = _flow(code)
    entry = next(src for src, dst in cfg if dst == "int scale = 2;")
    shift = "auto shift = [k = base + 1, &scale](int y) { return y + k * scale; };"
    sum_ = next(src for src, _ in cfg if src.startswith("auto sum"))
    inner_return = "return [=] { return s * scale; }();"
    assert (entry, shift) in ddg and ("int scale = 2;", shift) in ddg  # ``base + 1`` and ``&scale``
    assert ("[k = base + 1, &scale](int y) { return y + k * scale; }", "return y + k * scale;") in ddg  # k, y
    assert {(entry, sum_), (shift, sum_), ("int scale = 2;", sum_)} <= ddg  # [&] reads xs, shift and scale
    assert {("int s = 0;", inner_return), ("s += shift(x);", inner_return)} <= ddg  # [=] reads s
    assert (sum_, "return sum();") in ddg
    assert ("[=] { return s * scale; }", "return s * scale;") in cfg and ("int s = 0;", "return s * scale;") not in ddg


def test_classes_templates_and_qualified_names() -> None:
    code = """template <typename T>
T larger(T x, T y) { return x > y ? x : y; }
class Counter {
 public:
  Counter(int start) : n(start) {}
  ~Counter() {}
  int next() { n += 1; return n; }
 private:
  int n;
};
int Counter::peek(int count) const {
  A::count = 1;
  this->n = count;
  std::cout << count << std::endl;
  return larger<int>(count, n);
}"""
    graph = extract(code, "cpp")
    assert not graph.warnings
    cfg, ddg = edge_texts(graph, EdgeType.CFG), edge_texts(graph, EdgeType.DDG)
    assert sum(node.kind == "method_exit" for node in graph.nodes) == 5  # every function definition is a unit
    assert ("return x > y ? x : y;", "") in cfg and ("n += 1;", "return n;") in cfg
    peek = norm(code[code.index("int Counter::peek") :])
    # A::count and this->n are members, not the parameter count; std::cout is no variable
    assert {(peek, "this->n = count;"), (peek, "return larger<int>(count, n);")} <= ddg
    assert (peek, "A::count = 1;") not in ddg and ("A::count = 1;", "return larger<int>(count, n);") not in ddg
    assert (peek, "std::cout << count << std::endl;") in ddg
    assert not any(src == "A::count = 1;" or src == "this->n = count;" for src, _ in ddg)


def test_new_delete_references_and_if_with_an_initializer() -> None:
    code = """int own(int a) {
  int* p = new int(a);
  int& r = *p;
  if (int w = r * 2; w > a) { delete p; return w; }
  delete p;
  return a;
}"""
    cfg, ddg, cdg = _flow(code)
    check = "if (int w = r * 2; w > a) { delete p; return w; }"
    assert {("int* p = new int(a);", "int& r = *p;"), ("int& r = *p;", check)} <= ddg
    assert {("int* p = new int(a);", "delete p;"), (check, "return w;"), (norm(code), check)} <= ddg
    assert (check, "delete p;") in cfg and (check, "return a;") not in cfg  # the if falls through to delete
    assert ("return w;", "") in cfg and (check, "return w;") in cdg


def test_switch_falls_through_past_an_attribute_into_the_next_case() -> None:
    code = """int kind(int c) {
  int k = 0;
  switch (c) {
    case 'a':
      k = 1;
      [[fallthrough]];
    case 'b':
      k += 2;
      break;
    default:
      return -1;
  }
  return k;
}"""
    cfg, ddg, _ = _flow(code)
    switch = next(src for src, _ in cfg if src.startswith("switch"))
    assert {(switch, "k = 1;"), (switch, "k += 2;"), (switch, "return -1;"), ("k = 1;", ";"), (";", "k += 2;")} <= cfg
    assert ("break;", "return k;") in cfg and (switch, "return k;") not in cfg  # there is a default
    assert not any("'a'" == src or "'a'" == dst for src, dst in cfg)  # case labels are no statements
    assert {("k = 1;", "k += 2;"), ("int k = 0;", "k += 2;"), ("k += 2;", "return k;")} <= ddg


def test_a_conditional_definition_in_a_short_circuit_or_ternary_operand_does_not_kill() -> None:
    code = """bool ready(int a) {
  int b = 0;
  bool ok = a > 0 || (b = probe()) > 0;
  int c = a ? b : (b = 1);
  return ok && b > c;
}"""
    _, ddg, _ = _flow(code)
    ret, ok, c = "return ok && b > c;", "bool ok = a > 0 || (b = probe()) > 0;", "int c = a ? b : (b = 1);"
    assert {("int b = 0;", ret), (ok, ret), (c, ret)} <= ddg  # neither conditional definition of b kills
    assert {("int b = 0;", c), (ok, c)} <= ddg


def test_syntax_error_gives_a_partial_graph_and_a_warning() -> None:
    graph = extract("int f(int x) { int y = x; if (y > ) { return 1; } return y; }", "cpp")
    assert any("syntax error" in warning for warning in graph.warnings)
    assert graph.num_nodes > 5 and any(norm(node.text) == "return y;" for node in graph.nodes)
    assert ("int y = x;", "return y;") in edge_texts(graph, EdgeType.DDG)
