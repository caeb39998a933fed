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
    # statement that makes the outer block, and each block's next run reads the sum its last run left; tmp is the
    # block's own variable
    assert ddg == {
        (method, each), ("sum = 0", each), (method, scale), ("sum = 0", scale), (each, scale),
        ("sum = 0", result), (each, result), (scale, result),
        *((block, user) for user in ("next if x.nil?", "break if x > k", inner, "tmp = x")),
        ("{ |y| sum += y * k }", "sum += y * k"), ("->(m) { m * k + sum }", "m * k + sum"),
        ("sum += y * k", "sum += y * k"), (inner, inner),
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


def test_a_raising_statement_defines_nothing_for_rescue_and_every_exception_runs_ensure() -> None:
    code = """def f(s)
  y = 1
  begin
    y = 2
    x = risky(s)
    z = other(x)
  rescue ArgumentError
    warn(x, y, z)
  ensure
    done(x)
  end
  after(x)
end
"""
    cfg, ddg, _ = _flow(code)
    rescue, ensure = "rescue ArgumentError warn(x, y, z)", "ensure done(x)"
    # the exception edge leaves a statement before its assignment takes effect: y = 2 raising leaves y = 1 in place
    assert {("y = 1", "warn(x, y, z)"), ("y = 2", "warn(x, y, z)"), ("x = risky(s)", "warn(x, y, z)")} <= ddg
    assert ("z = other(x)", "warn(x, y, z)") not in ddg  # z is assigned only when other(x) returns
    assert {("x = risky(s)", rescue), ("z = other(x)", rescue)} <= cfg
    # a rescue takes only the exceptions it names: every statement of the body may also go straight to ensure,
    # which then leaves the method (and goes on after the begin for the handled and normal paths)
    assert {("y = 2", ensure), ("x = risky(s)", ensure), ("z = other(x)", ensure), ("warn(x, y, z)", ensure)} <= cfg
    assert {("done(x)", ""), ("done(x)", "after(x)")} <= cfg
    assert _labels_out_of(code, "x = risky(s)") == {("z = other(x)", "next"), (rescue, "exception"),
                                                     (ensure, "exception")}
    assert ("x = risky(s)", "after(x)") in ddg and ("x = risky(s)", "done(x)") in ddg


def test_rescue_exception_catches_everything() -> None:
    code = "def g\n  begin\n    a = risky\n  rescue Exception => e\n    a = e\n  ensure\n    done(a)\n  end\nend\n"
    cfg, ddg, _ = _flow(code)
    assert ("a = risky", "ensure done(a)") in cfg and _labels_out_of(code, "a = risky") == {
        ("rescue Exception => e a = e", "exception"), ("ensure done(a)", "next")}
    assert ("done(a)", "") in cfg and ("a = risky", "done(a)") in ddg and ("a = e", "done(a)") in ddg


def _named_ddg(code: str) -> set[tuple[str, str, str]]:
    """DDG edges as (source text, target text, variable)."""
    graph = extract(code, "ruby", max_text_chars=1000)
    nodes = graph.nodes
    return {(norm(nodes[e.src].text), norm(nodes[e.dst].text), e.label) for e in graph.edges_of(EdgeType.DDG)}


def test_block_writes_reach_the_next_iteration_and_block_parameters_shadow() -> None:
    code = """def f(xs)
  last = nil
  x = 0
  xs.each do |x|
    puts last
    last = x
    x = x * 2
  end
  xs.each { |v| x += v }
  [last, x]
end
"""
    ddg = _named_ddg(code)
    each, result = _text(code, "xs.each do |x|"), "[last, x]"
    summing = "xs.each { |v| x += v }"
    assert ("last = x", "puts last", "last") in ddg  # the method's variable, written by the previous iteration
    assert ("x += v", "x += v", "x") in ddg  # ``x`` of the method: the next call reads what this one wrote
    assert (each, result, "last") in ddg and (summing, result, "x") in ddg  # and so does the code after the call
    # ``x`` in the do block is its parameter: writing it defines neither the method's x nor the next iteration's
    assert (each, result, "x") not in ddg and (each, summing, "x") not in ddg and ("x = 0", summing, "x") in ddg
    assert ("x = x * 2", "last = x", "x") not in ddg and ("x = x * 2", "x = x * 2", "x") not in ddg
