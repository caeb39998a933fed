"""Generate the bundled quickstart dataset: summarising short Java methods in a few English words.

Every example is written by this script from the templates below (no public data): a Java method (at most
200 characters; some laid out over several lines) and a summary (at most 60 characters), with identifiers,
types and method names drawn at random, so a model must both recognise the operation and copy names.
Methods use loops and branches, so their code property graphs have control and data flow. Sources are unique
across the whole dataset, so train, valid and test share none. Output is deterministic for a seed.

Run ``python -m tasks.data.make_quickstart`` to rewrite ``tasks/data/quickstart/{train,valid,test}.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

SEED = 20240611
SPLIT_SIZES = {"train": 400, "valid": 50, "test": 50}
MAX_SOURCE_CHARS = 200
MAX_TARGET_CHARS = 60
MULTILINE_FRACTION = 0.3
OUTPUT_DIR = Path(__file__).parent / "quickstart"

MODIFIERS = ("public ", "public static ", "private ", "static ", "protected ", "")
# Slots that hold types or modifiers; every other slot is an identifier and must differ from the rest.
_NON_IDENTIFIER_SLOTS = {"mod", "t", "T"}

PAIRS = (("a", "b"), ("x", "y"), ("m", "n"), ("p", "q"), ("first", "second"), ("left", "right"), ("lhs", "rhs"))
NUMBERS = ("x", "n", "value", "num", "k", "number")
ARRAYS = ("values", "nums", "data", "arr", "scores", "numbers", "xs", "counts")
LISTS = ("list", "items", "names", "elements", "entries", "words")
STRINGS = ("s", "text", "str", "name", "word", "input", "line")
LOOP_VARS = ("v", "e", "item", "elem", "x")
INDICES = ("i", "j", "k", "idx")
ACCUMULATORS = ("s", "sum", "total", "acc", "result")
COUNTERS = ("c", "count", "cnt", "hits")
BOUNDS = (("lo", "hi"), ("min", "max"), ("low", "high"), ("lower", "upper"))
INTEGRAL = ("int", "long")
FLOATING = ("double", "float")
FIELDS = (
    ("name", "Name", "String"),
    ("id", "Id", "int"),
    ("age", "Age", "int"),
    ("size", "Size", "int"),
    ("title", "Title", "String"),
    ("label", "Label", "String"),
    ("price", "Price", "double"),
    ("width", "Width", "int"),
    ("height", "Height", "int"),
    ("email", "Email", "String"),
    ("owner", "Owner", "String"),
    ("score", "Score", "long"),
)
COUNTER_FIELDS = ("count", "counter", "hits", "total", "size", "visits")


@dataclass(frozen=True)
class JavaTemplate:
    """A method and its summary with ``$slot`` placeholders; ``slots`` maps ``"a"`` or ``"a,b"`` to choices."""

    code: str
    summary: str
    slots: Mapping[str, Sequence[str] | Sequence[tuple[str, ...]]]

    def sample(self, rng: random.Random) -> tuple[str, str]:
        """Fill the slots at random (identifiers pairwise distinct); returns ``(source, target)``."""
        while True:
            values = {"mod": rng.choice(MODIFIERS)}
            for key, choices in self.slots.items():
                choice = rng.choice(choices)
                values.update(zip(key.split(","), (choice,) if isinstance(choice, str) else choice))
            identifiers = [value for slot, value in values.items() if slot not in _NON_IDENTIFIER_SLOTS]
            if len(set(identifiers)) == len(identifiers):
                return Template(self.code).substitute(values), Template(self.summary).substitute(values)


def _t(code: str, summary: str, **slots: Sequence[str] | Sequence[tuple[str, ...]]) -> JavaTemplate:
    """Template shorthand: ``a__b=...`` fills slots ``a`` and ``b`` together; every code starts with ``$mod``."""
    return JavaTemplate("${mod}" + code, summary, {key.replace("__", ","): value for key, value in slots.items()})


TEMPLATES: tuple[JavaTemplate, ...] = (
    # arithmetic on two numbers
    _t("$t $name($t $a, $t $b) { return $a + $b; }", "returns the sum of $a and $b",
       name=("add", "sum", "plus"), t=INTEGRAL + FLOATING, a__b=PAIRS),
    _t("$t $name($t $a, $t $b) { return $a - $b; }", "returns $a minus $b",
       name=("subtract", "minus", "difference"), t=INTEGRAL + FLOATING, a__b=PAIRS),
    _t("$t $name($t $a, $t $b) { return $a * $b; }", "returns the product of $a and $b",
       name=("multiply", "product", "times"), t=INTEGRAL + FLOATING, a__b=PAIRS),
    _t("$t $name($t $a, $t $b) { if ($b == 0) { return 0; } return $a / $b; }",
       "divides $a by $b or returns zero if $b is zero",
       name=("divide", "safeDivide", "quotient"), t=INTEGRAL, a__b=PAIRS),
    _t("$t $name($t $a, $t $b) { return $a > $b ? $a : $b; }", "returns the larger of $a and $b",
       name=("max", "larger", "greater", "maxOf"), t=INTEGRAL + FLOATING, a__b=PAIRS),
    _t("$t $name($t $a, $t $b) { if ($a < $b) { return $a; } return $b; }", "returns the smaller of $a and $b",
       name=("min", "smaller", "lesser", "minOf"), t=INTEGRAL + FLOATING, a__b=PAIRS),
    _t("double $name(double $a, double $b) { return ($a + $b) / 2; }", "returns the mean of $a and $b",
       name=("mean", "average", "midpoint"), a__b=PAIRS),
    _t("$t $name($t $a, $t $b) { while ($b != 0) { $t $tmp = $b; $b = $a % $b; $a = $tmp; } return $a; }",
       "returns the greatest common divisor of $a and $b",
       name=("gcd", "greatestCommonDivisor", "commonDivisor"), t=INTEGRAL, a__b=PAIRS, tmp=("t", "tmp", "r")),
    # one number
    _t("$t $name($t $x) { return $x < 0 ? -$x : $x; }", "returns the absolute value of $x",
       name=("abs", "absolute", "magnitude"), t=INTEGRAL + FLOATING, x=NUMBERS),
    _t("$t $name($t $x) { return $x * $x; }", "returns the square of $x",
       name=("square", "squared", "sq"), t=INTEGRAL + FLOATING, x=NUMBERS),
    _t("$t $name($t $x) { return $x * $x * $x; }", "returns the cube of $x",
       name=("cube", "cubed"), t=INTEGRAL + FLOATING, x=NUMBERS),
    _t("boolean $name(int $x) { return $x % 2 == 0; }", "checks whether $x is even",
       name=("isEven", "even", "checkEven"), x=NUMBERS),
    _t("boolean $name(int $x) { return $x % 2 != 0; }", "checks whether $x is odd",
       name=("isOdd", "odd", "checkOdd"), x=NUMBERS),
    _t("boolean $name($t $x) { return $x > 0; }", "checks whether $x is positive",
       name=("isPositive", "positive"), t=INTEGRAL + FLOATING, x=NUMBERS),
    _t("boolean $name($t $x) { return $x < 0; }", "checks whether $x is negative",
       name=("isNegative", "negative"), t=INTEGRAL + FLOATING, x=NUMBERS),
    _t("boolean $name(int $a, int $b) { return $a % $b == 0; }", "checks whether $a is divisible by $b",
       name=("isDivisible", "divides", "isMultiple"), a__b=PAIRS),
    _t("int $name(int $x) { if ($x > 0) { return 1; } else if ($x < 0) { return -1; } return 0; }",
       "returns the sign of $x", name=("sign", "signum", "signOf"), x=NUMBERS),
    _t("int $name(int $x, int $lo, int $hi) { return Math.max($lo, Math.min($hi, $x)); }",
       "clamps $x between $lo and $hi", name=("clamp", "bound", "limit"), x=NUMBERS, lo__hi=BOUNDS),
    _t("boolean $name(int $x, int $lo, int $hi) { return $x >= $lo && $x <= $hi; }",
       "checks whether $x is between $lo and $hi", name=("inRange", "isBetween", "within"), x=NUMBERS,
       lo__hi=BOUNDS),
    _t("double $name(double $x) { return $x * 9 / 5 + 32; }", "converts $x from celsius to fahrenheit",
       name=("toFahrenheit", "celsiusToFahrenheit", "fahrenheit"), x=("c", "celsius", "degrees", "temp")),
    # loops over a count
    _t("long $name(int $n) { long $r = 1; for (int $i = 2; $i <= $n; $i++) { $r *= $i; } return $r; }",
       "computes the factorial of $n", name=("factorial", "fact", "fac"), n=NUMBERS, r=ACCUMULATORS, i=INDICES),
    _t("$t $name($t $b, int $e) { $t $r = 1; for (int $i = 0; $i < $e; $i++) { $r *= $b; } return $r; }",
       "raises $b to the power $e", name=("power", "pow", "raise"), t=INTEGRAL + FLOATING,
       b__e=(("base", "exp"), ("b", "e"), ("x", "n"), ("value", "times")), r=ACCUMULATORS, i=INDICES),
    _t("int $name(int $n) { int $a = 0, $b = 1; for (int $i = 0; $i < $n; $i++) { int $tmp = $a + $b; $a = $b; "
       "$b = $tmp; } return $a; }", "returns the fibonacci number at index $n",
       name=("fib", "fibonacci"), n=NUMBERS, a__b=(("a", "b"), ("prev", "curr"), ("f0", "f1")), i=INDICES,
       tmp=("t", "tmp", "next")),
    _t("int $name(int $n) { int $s = 0; int $i = 1; while ($i <= $n) { $s += $i; $i++; } return $s; }",
       "sums the integers from 1 to $n", name=("sumTo", "triangle", "sumUpTo"), n=NUMBERS, s=ACCUMULATORS,
       i=INDICES),
    _t("boolean $name(int $n) { if ($n < 2) { return false; } for (int $i = 2; $i * $i <= $n; $i++) { "
       "if ($n % $i == 0) { return false; } } return true; }", "checks whether $n is prime",
       name=("isPrime", "prime", "checkPrime"), n=NUMBERS, i=INDICES),
    # arrays
    _t("$t $name($t[] $arr) { $t $s = 0; for ($t $v : $arr) { $s += $v; } return $s; }",
       "sums the elements of $arr", name=("sum", "total", "sumAll"), t=INTEGRAL + FLOATING, arr=ARRAYS,
       s=ACCUMULATORS, v=LOOP_VARS),
    _t("double $name(int[] $arr) { double $s = 0; for (int $v : $arr) { $s += $v; } return $s / $arr.length; }",
       "returns the average of $arr", name=("average", "mean", "avg"), arr=ARRAYS, s=ACCUMULATORS, v=LOOP_VARS),
    _t("int $name(int[] $arr) { int $c = 0; for (int $v : $arr) { if ($v % 2 == 0) { $c++; } } return $c; }",
       "counts the even numbers in $arr", name=("countEven", "countEvens", "evenCount"), arr=ARRAYS,
       c=COUNTERS, v=LOOP_VARS),
    _t("int $name(int[] $arr) { int $c = 0; for (int $v : $arr) { if ($v % 2 != 0) { $c++; } } return $c; }",
       "counts the odd numbers in $arr", name=("countOdd", "countOdds", "oddCount"), arr=ARRAYS, c=COUNTERS,
       v=LOOP_VARS),
    _t("int $name(int[] $arr) { int $c = 0; for (int $v : $arr) { if ($v > 0) { $c++; } } return $c; }",
       "counts the positive numbers in $arr", name=("countPositive", "positives", "numPositive"), arr=ARRAYS,
       c=COUNTERS, v=LOOP_VARS),
    _t("int $name(int[] $arr, int $k) { int $c = 0; for (int $v : $arr) { if ($v > $k) { $c++; } } return $c; }",
       "counts the elements of $arr greater than $k", name=("countAbove", "countGreater", "above"), arr=ARRAYS,
       k=("k", "limit", "threshold", "min"), c=COUNTERS, v=LOOP_VARS),
    _t("int $name(int[] $arr) { int $m = $arr[0]; for (int $v : $arr) { if ($v > $m) { $m = $v; } } return $m; }",
       "returns the largest element of $arr", name=("max", "largest", "findMax"), arr=ARRAYS,
       m=("m", "best", "max", "top"), v=LOOP_VARS),
    _t("int $name(int[] $arr) { int $m = $arr[0]; for (int $v : $arr) { if ($v < $m) { $m = $v; } } return $m; }",
       "returns the smallest element of $arr", name=("min", "smallest", "findMin"), arr=ARRAYS,
       m=("m", "best", "min", "low"), v=LOOP_VARS),
    _t("boolean $name(int[] $arr, int $k) { for (int $v : $arr) { if ($v == $k) { return true; } } return false; }",
       "checks whether $arr contains $k", name=("contains", "has", "includes"), arr=ARRAYS,
       k=("k", "key", "target", "needle"), v=LOOP_VARS),
    _t("int $name(int[] $arr, int $k) { for (int $i = 0; $i < $arr.length; $i++) { if ($arr[$i] == $k) { "
       "return $i; } } return -1; }", "returns the index of $k in $arr or -1",
       name=("indexOf", "find", "search"), arr=ARRAYS, k=("k", "key", "target"), i=INDICES),
    _t("boolean $name(int[] $arr) { for (int $i = 1; $i < $arr.length; $i++) { if ($arr[$i - 1] > $arr[$i]) { "
       "return false; } } return true; }", "checks whether $arr is sorted",
       name=("isSorted", "sorted", "inOrder"), arr=ARRAYS, i=INDICES),
    _t("void $name(int[] $arr, int $i, int $j) { int $tmp = $arr[$i]; $arr[$i] = $arr[$j]; $arr[$j] = $tmp; }",
       "swaps elements $i and $j of $arr", name=("swap", "exchange"), arr=ARRAYS,
       i__j=(("i", "j"), ("a", "b"), ("x", "y"), ("from", "to")), tmp=("t", "tmp", "old")),
    _t("void $name(int[] $arr, int $k) { for (int $i = 0; $i < $arr.length; $i++) { $arr[$i] = $k; } }",
       "sets every element of $arr to $k", name=("fill", "setAll", "reset"), arr=ARRAYS,
       k=("k", "value", "v", "fill"), i=INDICES),
    _t("void $name(int[] $arr) { for (int $i = 0; $i < $arr.length; $i++) { $arr[$i] *= 2; } }",
       "doubles every element of $arr", name=("doubleAll", "twice", "scaleByTwo"), arr=ARRAYS, i=INDICES),
    _t("int[] $name(int[] $arr) { int[] $out = new int[$arr.length]; for (int $i = 0; $i < $arr.length; $i++) { "
       "$out[$i] = $arr[$i]; } return $out; }", "returns a copy of $arr",
       name=("copy", "clone", "duplicate"), arr=ARRAYS, out=("out", "dst", "copy", "res"), i=INDICES),
    # lists and maps
    _t("boolean $name(List<$T> $lst) { return $lst.size() == 0; }", "checks whether $lst is empty",
       name=("isEmpty", "empty", "hasNone"), T=("String", "Integer", "Object"), lst=LISTS),
    _t("int $name(List<$T> $lst) { return $lst == null ? 0 : $lst.size(); }",
       "returns the size of $lst or zero if it is null", name=("size", "count", "length"),
       T=("String", "Integer", "Object"), lst=LISTS),
    _t("$T $name(List<$T> $lst) { return $lst.isEmpty() ? null : $lst.get(0); }",
       "returns the first element of $lst or null", name=("first", "head", "firstOrNull"),
       T=("String", "Integer", "Object"), lst=LISTS),
    _t("$T $name(List<$T> $lst) { return $lst.get($lst.size() - 1); }", "returns the last element of $lst",
       name=("last", "tail", "lastElement"), T=("String", "Integer", "Object"), lst=LISTS),
    _t("void $name(List<String> $lst) { for (String $v : $lst) { System.out.println($v); } }",
       "prints every element of $lst", name=("printAll", "print", "dump"), lst=LISTS, v=LOOP_VARS),
    _t("boolean $name(Map<String, Integer> $m, String $k) { return $m.containsKey($k); }",
       "checks whether $m contains the key $k", name=("hasKey", "contains", "isMapped"),
       m=("map", "m", "table", "index"), k=("k", "name", "id", "word")),
    _t("int $name(Map<String, Integer> $m, String $k) { return $m.getOrDefault($k, 0); }",
       "returns the value of $k in $m or zero", name=("lookup", "get", "valueOf"),
       m=("map", "m", "table", "counts"), k=("key", "k", "name")),
    # strings
    _t("String $name(String $s) { return new StringBuilder($s).reverse().toString(); }",
       "reverses the string $s", name=("reverse", "reversed", "flip"), s=STRINGS),
    _t("String $name(String $s) { return $s.toUpperCase(); }", "converts $s to upper case",
       name=("toUpper", "upper", "shout"), s=STRINGS),
    _t("String $name(String $s) { return $s.toLowerCase(); }", "converts $s to lower case",
       name=("toLower", "lower", "normalize"), s=STRINGS),
    _t("boolean $name(String $s) { return $s == null || $s.trim().isEmpty(); }",
       "checks whether $s is null or blank", name=("isBlank", "blank", "isNullOrBlank"), s=STRINGS),
    _t("int $name(String $s, char $c) { int $n = 0; for (int $i = 0; $i < $s.length(); $i++) { "
       "if ($s.charAt($i) == $c) { $n++; } } return $n; }", "counts occurrences of $c in $s",
       name=("countChar", "occurrences", "count"), s=STRINGS, c=("c", "ch", "target"), n=COUNTERS, i=INDICES),
    _t("boolean $name(String $s, String $p) { return $s.startsWith($p); }", "checks whether $s starts with $p",
       name=("hasPrefix", "startsWith", "beginsWith"), s=STRINGS, p=("p", "prefix", "start")),
    _t("boolean $name(String $s, String $p) { return $s.endsWith($p); }", "checks whether $s ends with $p",
       name=("hasSuffix", "endsWith", "finishesWith"), s=STRINGS, p=("p", "suffix", "end")),
    _t("String $name(String $a, String $b) { return $a + $b; }", "concatenates $a and $b",
       name=("concat", "join", "append"), a__b=PAIRS),
    _t("String $name(String $s, int $n) { StringBuilder $sb = new StringBuilder(); for (int $i = 0; $i < $n; "
       "$i++) { $sb.append($s); } return $sb.toString(); }", "repeats $s $n times",
       name=("repeat", "times", "replicate"), s=STRINGS, n=("n", "count", "times"), sb=("sb", "out", "buf"),
       i=INDICES),
    # fields
    _t("$T get$F() { return $f; }", "returns the $f", f__F__T=FIELDS),
    _t("$T get$F() { return this.$f; }", "returns the $f of this object", f__F__T=FIELDS),
    _t("void set$F($T $f) { this.$f = $f; }", "sets the $f", f__F__T=FIELDS),
    _t("void $name() { $f++; }", "increments $f by one", name=("increment", "inc", "bump", "tick"),
       f=COUNTER_FIELDS),
    _t("void $name() { $f = 0; }", "resets $f to zero", name=("reset", "clear", "zero"), f=COUNTER_FIELDS),
)  # fmt: skip


def multiline(code: str) -> str:
    """Lay a one-line method out with one statement per line and 4-space indentation."""
    lines: list[str] = []
    current = ""
    depth = parens = 0
    for char in code:
        parens += {"(": 1, ")": -1}.get(char, 0)
        if parens == 0 and char == "{":
            head = current.strip()
            if head.startswith("else") and lines and lines[-1].strip() == "}":
                lines[-1] += f" {head} {{"
            else:
                lines.append("    " * depth + f"{head} {{")
            depth += 1
            current = ""
        elif parens == 0 and char == "}":
            if current.strip():
                lines.append("    " * depth + current.strip())
            depth -= 1
            lines.append("    " * depth + "}")
            current = ""
        elif parens == 0 and char == ";":
            lines.append("    " * depth + current.strip() + ";")
            current = ""
        else:
            current += char
    return "\n".join(lines)


def build_quickstart(seed: int = SEED, split_sizes: Mapping[str, int] = SPLIT_SIZES) -> dict[str, list[dict[str, str]]]:
    """Records (``id``, ``source``, ``target``, ``language``) per split; templates are used round-robin."""
    rng = random.Random(seed)
    total = sum(split_sizes.values())
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index in range(total):
        template = TEMPLATES[index % len(TEMPLATES)]
        for _ in range(1000):
            source, target = template.sample(rng)
            if rng.random() < MULTILINE_FRACTION and len(multiline(source)) <= MAX_SOURCE_CHARS:
                source = multiline(source)
            if source not in seen:
                break
        else:
            raise RuntimeError(f"template {template.code!r} has too few distinct fillings for {total} examples")
        if len(source) > MAX_SOURCE_CHARS or len(target) > MAX_TARGET_CHARS:
            raise RuntimeError(f"template {template.code!r} produced an over-long example: {source!r} -> {target!r}")
        seen.add(source)
        pairs.append((source, target))
    rng.shuffle(pairs)
    splits: dict[str, list[dict[str, str]]] = {}
    start = 0
    for split, size in split_sizes.items():
        splits[split] = [
            {"id": f"{split}-{number:04d}", "source": source, "target": target, "language": "java"}
            for number, (source, target) in enumerate(pairs[start : start + size])
        ]
        start += size
    return splits


def write_quickstart(out_dir: Path = OUTPUT_DIR, seed: int = SEED) -> dict[str, Path]:
    """Write ``<split>.jsonl`` files into ``out_dir``; returns split -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, records in build_quickstart(seed).items():
        path = out_dir / f"{split}.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8", newline="\n")
        paths[split] = path
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=OUTPUT_DIR, help="folder to write the .jsonl files to")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (the bundled files use the default)")
    args = parser.parse_args(argv)
    for split, path in write_quickstart(args.out_dir, args.seed).items():
        print(f"{split}: {path}")


if __name__ == "__main__":
    main()
