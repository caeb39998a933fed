"""PHP (tree-sitter-php): CFG, DDG and CDG edges of small programs, one of them as a whole gold graph (more: tests/cpg/gold/php.json)."""

from __future__ import annotations

from cpg import extract
from cpg.graph import EdgeType
from tests.cpg.helpers import edge_texts, norm


def _flow(code: str) -> tuple[set, set, set]:
    graph = extract(code, "php", max_text_chars=1000)  # whole texts, the function's included
    assert not graph.warnings, graph.warnings
    return tuple(edge_texts(graph, t) for t in (EdgeType.CFG, EdgeType.DDG, EdgeType.CDG))


def test_gold_switch_fall_through_and_try_catch_finally() -> None:
    code = ('function load($path, $mode) { switch ($mode) { case "r": case "rb": $flags = 1; break; case "w": '
            "$flags = 2; default: $flags = 3; } try { $h = open($path, $flags); if (!$h) { throw new IOError($path); "
            "} return $h; } catch (IOError $e) { report($e); $h = null; } finally { cleanup($flags); } "
            "return $h ?? false; }")
    switch = 'switch ($mode) { case "r": case "rb": $flags = 1; break; case "w": $flags = 2; default: $flags = 3; }'
    try_ = ("try { $h = open($path, $flags); if (!$h) { throw new IOError($path); } return $h; } catch (IOError $e) "
            "{ report($e); $h = null; } finally { cleanup($flags); }")
    opened, check = "$h = open($path, $flags);", "if (!$h) { throw new IOError($path); }"
    throw = "throw new IOError($path);"
    catch, final = "catch (IOError $e) { report($e); $h = null; }", "finally { cleanup($flags); }"
    cfg, ddg, _ = _flow(code)
    assert cfg == {
        (code, switch), (switch, "$flags = 1;"), ("$flags = 1;", "break;"), ("break;", try_),
        (switch, "$flags = 2;"), ("$flags = 2;", "$flags = 3;"), (switch, "$flags = 3;"), ("$flags = 3;", try_),
        (try_, opened), (opened, check), (check, throw), (check, "return $h;"),
        *((raising, catch) for raising in (try_, opened, check, throw, "return $h;")),
        (catch, "report($e);"), ("report($e);", "$h = null;"),
        ("$h = null;", final), (throw, final), ("return $h;", final), (final, "cleanup($flags);"),
        *((raising, final) for raising in (try_, opened, check)),  # what catch (IOError $e) does not take
        ("cleanup($flags);", ""), ("cleanup($flags);", "return $h ?? false;"), ("return $h ?? false;", ""),
    }
    assert ddg == {
        (code, switch), (code, opened), (code, throw),  # $mode, $path
        ("$flags = 1;", opened), ("$flags = 3;", opened), ("$flags = 1;", "cleanup($flags);"),
        ("$flags = 3;", "cleanup($flags);"),  # $flags = 2 falls through into $flags = 3
        (opened, check), (opened, "return $h;"), (catch, "report($e);"),
        ("$h = null;", "return $h ?? false;"),  # opened's $h leaves only by return $h; or the throw
    }


def test_numbered_break_and_continue_count_loops_and_switches() -> None:
    code = ("function f($rows) { foreach ($rows as [$a, $b]) { while ($a) { switch ($b) { case 1: continue 3; "
            "case 2: continue; case 3: break 2; } $a--; } } done(); }")
    cfg, _, _ = _flow(code)
    foreach = next(dst for src, dst in cfg if src == code)
    assert ("continue 3;", foreach) in cfg  # switch, while, foreach
    assert ("continue;", "$a--;") in cfg  # continue in a switch leaves the switch like break
    assert ("break 2;", foreach) in cfg and ("break 2;", "$a--;") not in cfg  # leaves switch and while
    assert (foreach, "done();") in cfg


def test_closures_capture_their_use_list_and_arrow_functions_capture_by_value() -> None:
    code = ("function f($n, $z) { $t = 0; $g = function ($p) use ($t, &$n) { return $p + $t + $z; }; "
            "$h = fn($q) => $q + $n + $t; function inner($z) { return $z; } return $g(1) + $h(2); }")
    cfg, ddg, _ = _flow(code)
    closure, arrow = "function ($p) use ($t, &$n) { return $p + $t + $z; }", "fn($q) => $q + $n + $t"
    make_g, make_h, result = f"$g = {closure};", f"$h = {arrow};", "return $g(1) + $h(2);"
    assert (closure, "return $p + $t + $z;") in cfg and (arrow, "$q + $n + $t") in cfg  # units of their own
    assert ("function inner($z) { return $z; }", "return $z;") in cfg
    assert not any(dst == "return $p + $t + $z;" and src != closure for src, dst in cfg)
    # the closure reads its ``use`` list (not $z) where it is made; the arrow function every outer name it reads;
    # the named function nothing
    assert ddg == {
        (code, make_g), ("$t = 0;", make_g), (code, make_h), ("$t = 0;", make_h),
        (make_g, result), (make_h, result),
        (closure, "return $p + $t + $z;"), (arrow, "$q + $n + $t"), ("function inner($z) { return $z; }", "return $z;"),
    }


def test_destructuring_foreach_targets_and_catch_variables_are_definitions() -> None:
    code = ("function f($pairs, $m) { [$a, [$b, $c]] = $pairs; list('k' => $k, 'v' => $v) = $m; "
            "foreach ($pairs as $key => list($x, $y)) { use_($key, $x, $y); } "
            "try { g($a, $b, $c, $k, $v); } catch (Exception $e) { log_($e); } }")
    _, ddg, _ = _flow(code)
    nested, keyed = "[$a, [$b, $c]] = $pairs;", "list('k' => $k, 'v' => $v) = $m;"
    loop, call = "foreach ($pairs as $key => list($x, $y)) { use_($key, $x, $y); }", "g($a, $b, $c, $k, $v);"
    assert ddg == {
        (code, nested), (code, keyed), (code, loop),  # $pairs, $m: the foreach reads its first part
        (nested, call), (keyed, call), (loop, "use_($key, $x, $y);"),  # $key, $x, $y defined by the header
        ("catch (Exception $e) { log_($e); }", "log_($e);"),
    }
    graph = extract(code, "php", max_text_chars=1000)
    names = {e.label for e in graph.edges_of(EdgeType.DDG) if norm(graph.nodes[e.dst].text) == call}
    assert names == {"$a", "$b", "$c", "$k", "$v"}


def test_conditional_definitions_do_not_kill() -> None:
    code = ("function f($a) { $b = 0; if ($a && ($b = g())) { h(); } $c = $a ? ($b = 1) : 2; "
            "$d = match ($a) { 1 => $b = 3, default => 4 }; $b ??= 5; $b .= 'x'; return $b; }")
    _, ddg, _ = _flow(code)
    branch, ternary = "if ($a && ($b = g())) { h(); }", "$c = $a ? ($b = 1) : 2;"
    match = "$d = match ($a) { 1 => $b = 3, default => 4 };"
    # ``&&``, ``?:``, ``match`` and ``??=`` define $b on some paths only: $b = 0 reaches on; ``.=`` kills (and reads)
    assert ddg == {
        (code, branch), (code, ternary), (code, match),
        *((definition, "$b ??= 5;") for definition in ("$b = 0;", branch, ternary, match)),
        *((definition, "$b .= 'x';") for definition in ("$b = 0;", branch, ternary, match, "$b ??= 5;")),
        ("$b .= 'x';", "return $b;"),
    }


def test_goto_and_throw_and_exit_statements() -> None:
    code = "function f($a) { if ($a) { goto end; } if (!$a) { die('no'); } throw new E(); end: return $a; }"
    cfg, _, _ = _flow(code)
    assert ("goto end;", "end:") in cfg and ("end:", "return $a;") in cfg
    assert ("die('no');", "") in cfg and ("throw new E();", "") in cfg and ("throw new E();", "end:") not in cfg


def test_bare_functions_methods_files_with_tags_and_statements_parse() -> None:
    method = "public static function twice($x) { $y = $x * 2; return $y; }"  # CodeSearchNet: no ``<?php``
    graph = extract(method, "php")
    assert not graph.warnings and graph.nodes[0].kind == "method_declaration" and graph.nodes[0].text == method
    assert ("$y = $x * 2;", "return $y;") in edge_texts(graph, EdgeType.DDG)
    function = extract("function twice($x) { return $x * 2; }", "php")
    assert function.nodes[0].kind == "program" and function.nodes[1].kind == "function_definition"
    page = "<html><?php $n = count($items); ?>\n<p><?php echo $n; ?></p>\n<?php function f($a) { return $a; }"
    graph = extract(page, "php")  # a whole file: inline HTML needs the full grammar
    assert not graph.warnings and ("$n = count($items);", "echo $n;") in edge_texts(graph, EdgeType.DDG)
    assert ("function f($a) { return $a; }", "return $a;") in edge_texts(graph, EdgeType.CFG)
    script = extract("$x = 1;\necho $x;", "php")
    assert not script.warnings and ("$x = 1;", "echo $x;") in edge_texts(script, EdgeType.DDG)


def test_syntax_error_gives_partial_graph_and_warning() -> None:
    graph = extract("function f($x) { $y = $x; if ($y > ) { return 1; } return $y; }", "php")
    assert any("syntax error" in warning for warning in graph.warnings)
    assert any(norm(node.text) == "return $y;" for node in graph.nodes)
    assert ("$y = $x;", "return $y;") in edge_texts(graph, EdgeType.DDG)


def _ddg_named(code: str) -> set[tuple[str, str, str]]:
    """DDG edges as (source text, target text, variable); the function node is ``ENTRY``."""
    graph = extract(code, "php", max_text_chars=1000)
    assert not graph.warnings, graph.warnings
    texts = ["ENTRY" if norm(n.text) == code else norm(n.text) for n in graph.nodes]
    return {(texts[e.src], texts[e.dst], e.label) for e in graph.edges_of(EdgeType.DDG)}


def test_writes_through_a_foreach_or_destructuring_reference_may_define_the_array() -> None:
    code = "function f($xs) { foreach ($xs as $k => &$v) { $v = $k; } [$a, &$b] = $xs; $b = 2; $a = 3; return $xs; }"
    loop = "foreach ($xs as $k => &$v) { $v = $k; }"
    ddg = _ddg_named(code)
    assert ("$v = $k;", "return $xs;", "$xs") in ddg  # the write reaches later reads of the array ...
    assert ("ENTRY", "return $xs;", "$xs") in ddg and ("ENTRY", loop, "$xs") in ddg  # ... without killing
    assert ("$v = $k;", loop, "$xs") in ddg  # around the loop, into the header that reads $xs again
    assert ("$b = 2;", "return $xs;", "$xs") in ddg and ("$a = 3;", "return $xs;", "$xs") not in ddg


def test_writes_through_a_reference_assignment_may_define_the_variable() -> None:
    code = "function f($x, $z) { $y = 1; $y = &$x; $y = 5; $x = 6; $w = &$z[0]; $w = 7; return [$x, $y, $z]; }"
    result = "return [$x, $y, $z];"
    ddg = _ddg_named(code)
    assert ("$y = 5;", "$x = 6;", "$x") not in ddg  # $x = 6 reads nothing
    assert ("$y = 5;", result, "$x") not in ddg  # killed by $x = 6 ...
    assert ("$x = 6;", result, "$y") in ddg and ("$y = 5;", result, "$y") in ddg  # ... which may define $y
    assert ("$w = 7;", result, "$z") in ddg and ("ENTRY", result, "$z") in ddg  # an element reference
    assert ("$y = 1;", result, "$x") not in ddg  # written before $y became a reference
    assert ("$y = &$x;", result, "$x") not in ddg  # binding a reference writes neither name


def test_rebinding_or_unsetting_a_reference_ends_the_aliasing() -> None:
    code = ("function f($xs, $ys, $a, $b) { foreach ($xs as &$v) { } foreach ($ys as $v) { } "
            "$r = &$a; $r = &$b; $r = 1; foreach ($xs as &$u) { } unset($u); $u = 2; return [$xs, $a, $b]; }")
    result = "return [$xs, $a, $b];"
    ddg = _ddg_named(code)
    # the classic PHP pitfall: a by-value foreach over the same $v writes the last element of $xs
    assert ("foreach ($ys as $v) { }", result, "$xs") in ddg
    assert ("$r = 1;", result, "$b") in ddg and ("$r = 1;", result, "$a") not in ddg  # $r = &$b rebinds
    assert ("$u = 2;", result, "$xs") not in ddg  # unset($u) ends the reference
