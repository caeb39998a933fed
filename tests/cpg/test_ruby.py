"""Ruby (tree-sitter-ruby): CFG, DDG and CDG edges of small programs (whole graphs: tests/cpg/gold/ruby.json)."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "ruby", max_text_chars=1000)  # whole texts, the method's included
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


def _labels_out_of(code: str, source: str) -> set[tuple[str, str]]:
    """(target text, label) of the CFG edges out of the statement with text ``source``."""
    graph = extract(code, "ruby", max_text_chars=1000)
    nodes = graph.nodes
    edges = graph.edges_of(EdgeType.CFG)
    return {(norm(nodes[e.dst].text), e.label) for e in edges if norm(nodes[e.src].text) == source}


def _text(code: str, start: str) -> str:
    """The normalized text of the statement of ``code`` that starts with the line ``start``."""
    lines = code.splitlines()
    first = next(k for k, line in enumerate(lines) if line.strip() == start)
    indent = len(lines[first]) - len(lines[first].lstrip())
    last = next(k for k in range(first + 1, len(lines)) if lines[k].startswith(" " * indent + "end"))
    return norm("\n".join(lines[first : last + 1]))


def test_blocks_and_lambdas_are_units_that_share_the_methods_variables() -> None:
    code = """def total(xs, k)
  sum = 0
  xs.each do |x|
    next if x.nil?
    break if x > k
    x.parts.each { |y| sum += y * k }
    tmp = x
  end
  scale = ->(m) { m * k + sum }
  [sum, scale, tmp]
end
"""
    cfg, ddg, _ = _flow(code)
    method, each, scale = norm(code), _text(code, "xs.each do |x|"), "scale = ->(m) { m * k + sum }"
    block, inner, result = each.removeprefix("xs.each "), "x.parts.each { |y| sum += y * k }", "[sum, scale, tmp]"
    assert (block, "next if x.nil?") in cfg and ("next", "") in cfg and ("break", "") in cfg  # they leave the block
    assert ("{ |y| sum += y * k }", "sum += y * k") in cfg and ("->(m) { m * k + sum }", "m * k + sum") in cfg
    assert not any(dst == "next if x.nil?" and src != block for src, dst in cfg)  # the block is a unit of its own
    # the blocks read xs, k and sum where they are made; the inner block's ``sum +=`` may define sum at the
    # statement that makes the outer block; tmp is the block's own variable
    assert ddg == {
        (method, each), ("sum = 0", each), (method, scale), ("sum = 0", scale), (each, scale),
        ("sum = 0", result), (each, result), (scale, result),
        *((block, user) for user in ("next if x.nil?", "break if x > k", inner, "tmp = x")),
        ("{ |y| sum += y * k }", "sum += y * k"), ("->(m) { m * k + sum }", "m * k + sum"),
    }


def test_multiple_assignment_splat_for_and_patterns_define() -> None:
    code = """def swap(pairs, opts)
  a, b = pairs
  b, a = a, b
  first, *rest = a
  (c, d), e = b
  for k, v in opts
    puts k
  end
  case rest
  in [Integer => n, *tail] if n > 0
    found = n
  in {name: String => nm}
    found = nm
  end
  opts => {size: sz}
  [first, c, d, e, v, found, tail, sz]
end
"""
    _, ddg, _ = _flow(code)
    loop, case = _text(code, "for k, v in opts"), _text(code, "case rest")
    result = "[first, c, d, e, v, found, tail, sz]"
    assert {("a, b = pairs", "b, a = a, b"), ("b, a = a, b", "first, *rest = a")} <= ddg
    assert ("b, a = a, b", "(c, d), e = b") in ddg and ("a, b = pairs", "first, *rest = a") not in ddg  # swapped
    assert {src for src, dst in ddg if dst == result} == {
        "first, *rest = a", "(c, d), e = b", loop, "found = n", "found = nm", case, "opts => {size: sz}"
    }
    assert (loop, "puts k") in ddg and (case, "found = n") in ddg and (case, "found = nm") in ddg
    assert ("first, *rest = a", case) in ddg


def test_conditional_assignments_and_do_while() -> None:
    code = """def m(x, y)
  x ||= y
  ok = y && (z = 1)
  begin
    x -= 1
  end until x < 0
  [x, z]
end
"""
    cfg, ddg, _ = _flow(code)
    method, loop = norm(code), "begin x -= 1 end until x < 0"
    assert ("ok = y && (z = 1)", "x -= 1") in cfg and ("x -= 1", loop) in cfg and (loop, "x -= 1") in cfg  # body first
    assert (method, "x -= 1") in ddg and ("x ||= y", "x -= 1") in ddg  # ``||=`` defines x on some paths only
    assert (method, "x ||= y") in ddg  # ... and reads it
    assert ("ok = y && (z = 1)", "[x, z]") in ddg and ("x -= 1", "[x, z]") in ddg
    assert _labels_out_of(code, loop) == {("x -= 1", "back"), ("[x, z]", "true")}  # ``until`` ends when it holds


def test_method_body_rescue_ensure_redo_and_raise() -> None:
    code = """def parse(s)
  return Integer(s) if s
  raise ArgumentError, "none"
rescue ArgumentError => err
  for i in [1] do redo if i.zero? end
  fallback(err)
ensure
  done(s)
end
"""
    cfg, ddg, _ = _flow(code)
    handler = "rescue ArgumentError => err for i in [1] do redo if i.zero? end fallback(err)"
    loop, ensure = "for i in [1] do redo if i.zero? end", "ensure done(s)"
    assert ("return Integer(s) if s", handler) in cfg and ('raise ArgumentError, "none"', handler) in cfg
    assert ("return Integer(s)", ensure) in cfg and ("return Integer(s)", "") not in cfg  # the return runs ensure
    assert ("redo", "redo if i.zero?") in cfg  # back to the first statement of the loop body, no condition
    assert ("fallback(err)", ensure) in cfg and ("done(s)", "") in cfg
    assert (handler, "fallback(err)") in ddg and (loop, "redo if i.zero?") in ddg


def test_syntax_error_gives_partial_graph_and_warning() -> None:
    graph = extract("def f(x)\n  y = x\n  if y >\n    return 1\n  end\n  y\nend\n", "ruby")
    assert any("syntax error" in warning for warning in graph.warnings)
    assert graph.num_nodes > 5 and any(norm(node.text) == "y = x" for node in graph.nodes)
    assert graph.edge_counts()["CFG"] > 0
