"""Safe formulas: text -> a small expression tree, never through eval.

A formula from a rule file (or a condition of a check) is parsed with
Python's `ast` module and every node is checked against a whitelist:
numbers, declared names, + - * / **, unary minus, parentheses, a short list
of functions, comparisons and and/or/not (conditions only), and
`unit("GB")` literals. Anything else is refused with an ExpressionError.

The tree is plain tuples, so it can be cached as JSON, evaluated on numpy
arrays or polars columns (engine/solve/numeric.py) and turned into sympy for
symbolic solving (engine/solve/symbolic.py) without sympy being imported here:

    ("num", 6.0)                 ("var", "params")       ("unit", "token")
    ("add", (a, b, ...))         ("mul", (a, b, ...))    ("pow", base, exponent)
    ("call", "sqrt", (a,))       ("cmp", "<", a, b)      ("and"|"or", (a, b, ...))
    ("not", a)

Subtraction is add(a, mul(-1, b)); division is mul(a, pow(b, -1)).
"""
from __future__ import annotations

import ast
import math
import warnings
from typing import Any, Callable, Iterator

from ..errors import ExpressionError
from ..messages import Both, Caught, Nested, keyed

Tree = tuple  # a node as described above

FUNCTIONS: dict[str, int] = {  # name -> number of arguments (0 = two or more)
    "sqrt": 1, "exp": 1, "log": 1, "ceil": 1, "floor": 1, "abs": 1,
    "min": 0, "max": 0,
}
MAX_TEXT = 2000          # characters; real formulas are a line or two
MAX_NODES = 400          # AST nodes
MAX_DEPTH = 40           # nesting of the tree
MAX_CONST_EXPONENT = 64  # a constant exponent beyond this is a typo or an attack
MAX_LITERAL = 1e300

_WORDS = {  # refused node types, as people call them (English, Chinese)
    "Attribute": ("attribute access .name", "属性访问 .name"), "Subscript": ("indexing [...]", "下标 [...]"),
    "Lambda": ("lambda", "lambda"), "ListComp": ("a comprehension", "推导式"), "SetComp": ("a comprehension", "推导式"),
    "DictComp": ("a comprehension", "推导式"), "GeneratorExp": ("a generator expression", "生成器表达式"),
    "JoinedStr": ("an f-string", "f-string"), "FormattedValue": ("an f-string", "f-string"),
    "IfExp": ("if/else", "if/else"), "NamedExpr": ("assignment (:=)", "赋值 (:=)"),
    "Starred": ("unpacking (*)", "解包 (*)"), "Await": ("await", "await"), "Yield": ("yield", "yield"),
    "YieldFrom": ("yield", "yield"), "List": ("a list", "列表"), "Tuple": ("a tuple", "元组"), "Set": ("a set", "集合"),
    "Dict": ("a dict", "字典"), "Slice": ("a slice", "切片"),
}

_CMP_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def parse_expression(text: str, names: Callable[[str], bool] | set[str] | frozenset[str],
                     *, condition: bool = False, units: Callable[[str], Any] | None = None) -> Tree:
    """Parse one expression (or, with condition=True, a boolean condition)."""
    _check_text(text)
    try:
        with warnings.catch_warnings():   # ("1and x": Python's own SyntaxWarning is no message of ours)
            warnings.simplefilter("ignore")
            node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise keyed(ExpressionError, "rules.not_a_formula", text=_short(text), reason=exc.msg,
                    column=exc.offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise keyed(ExpressionError, "rules.malformed", text=text[:60]) from None
    count = sum(1 for _ in ast.walk(node))
    if count > MAX_NODES:
        raise keyed(ExpressionError, "rules.too_many_parts", count=count, limit=MAX_NODES)
    known = names if callable(names) else names.__contains__
    return _Builder(text, known, condition, units).build(node, 0)


def parse_equation(text: str, names: Callable[[str], bool] | set[str] | frozenset[str],
                   units: Callable[[str], Any] | None = None) -> tuple[Tree, Tree]:
    """Parse `lhs = rhs` into two trees."""
    _check_text(text)
    cleaned = text.replace("==", "\0\0").replace("<=", "\0\0").replace(">=", "\0\0").replace("!=", "\0\0")
    if cleaned.count("=") != 1:
        raise keyed(ExpressionError, "rules.equation_one_equals", count=cleaned.count("="), text=text)
    cut = cleaned.index("=")
    lhs, rhs = text[:cut], text[cut + 1:]
    if not lhs.strip() or not rhs.strip():
        raise keyed(ExpressionError, "rules.equation_two_sides", text=text)
    return parse_expression(lhs, names, units=units), parse_expression(rhs, names, units=units)


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise keyed(ExpressionError, "rules.not_text", found=type(text).__name__)
    if len(text) > MAX_TEXT:
        raise keyed(ExpressionError, "rules.too_long", length=len(text), limit=MAX_TEXT)
    if not text.strip():
        raise keyed(ExpressionError, "rules.empty")
    invisible = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
    bad = [c for c in text if (ord(c) < 32 and c not in "\t") or c in invisible]
    if bad:
        raise keyed(ExpressionError, "rules.control_characters", code=f"{ord(bad[0]):04X}")
    if "#" in text:
        raise keyed(ExpressionError, "rules.comment", text=_short(text))
    wide = next((c for c in text if ord(c) > 126), None)
    if wide is not None:   # Python would silently read full-width 'ｐａｒａｍｓ' as params; be explicit
        raise keyed(ExpressionError, "rules.non_ascii", char=wide, code=f"{ord(wide):04X}")


class _Builder:
    """Walks a Python AST and builds the tuple tree, refusing everything else."""

    def __init__(self, text: str, known: Callable[[str], bool], condition: bool,
                 units: Callable[[str], Any] | None) -> None:
        self.text, self.known, self.condition, self.units = text, known, condition, units

    def fail(self, what: Nested) -> ExpressionError:
        return keyed(ExpressionError, "rules.not_allowed", what=what, text=self.text.strip()[:120],
                     functions=", ".join(sorted(FUNCTIONS)),
                     conditions=Nested("rules.allowed_conditions" if self.condition else ""))

    def build(self, node: ast.AST, depth: int) -> Tree:
        if depth > MAX_DEPTH:
            raise keyed(ExpressionError, "rules.too_deep", limit=MAX_DEPTH, text=self.text[:60])
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            kind = type(node).__name__
            english, chinese = _WORDS.get(kind, ("", ""))
            raise self.fail(Both(f"{english} ({kind})", f"{chinese}（{kind}）") if english else Both(kind))
        return method(node, depth + 1)

    def _Constant(self, node: ast.Constant, depth: int) -> Tree:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(Both(f"the constant {value!r}", f"常量 {value!r}"))
        if isinstance(value, int) and value.bit_length() > 1000:
            raise keyed(ExpressionError, "rules.number_too_large", text=self.text[:60])
        number = float(value)
        if not math.isfinite(number) or abs(number) > MAX_LITERAL:
            raise keyed(ExpressionError, "rules.number_out_of_range", text=self.text[:60])
        return ("num", number)

    def _Name(self, node: ast.Name, depth: int) -> Tree:
        if node.id.startswith("_") or not self.known(node.id):
            raise keyed(ExpressionError, "rules.unknown_name", name=node.id[:60], text=self.text.strip()[:120])
        return ("var", node.id)

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Tree:
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return ("mul", (("num", -1.0), operand))
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not) and self.condition:
            return ("not", operand)
        raise self.fail(Both(type(node.op).__name__))

    def _BinOp(self, node: ast.BinOp, depth: int) -> Tree:
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        op = node.op
        if isinstance(op, ast.Add):
            return ("add", (left, right))
        if isinstance(op, ast.Sub):
            return ("add", (left, ("mul", (("num", -1.0), right))))
        if isinstance(op, ast.Mult):
            return ("mul", (left, right))
        if isinstance(op, ast.Div):
            return ("mul", (left, ("pow", right, ("num", -1.0))))
        if isinstance(op, ast.Pow):
            _check_exponent(right, self.text)
            return ("pow", left, right)
        raise self.fail(Both(f"the operator {type(op).__name__}", f"运算符 {type(op).__name__}"))

    def _Call(self, node: ast.Call, depth: int) -> Tree:
        if not isinstance(node.func, ast.Name):
            raise self.fail(Both("calling an attribute or expression", "调用属性或表达式"))
        name = node.func.id
        if node.keywords:
            raise self.fail(Both("keyword arguments", "关键字参数"))
        if name == "unit":
            return self._unit_literal(node)
        if name not in FUNCTIONS:
            raise self.fail(Both(f"the function {name!r}", f"函数 {name!r}"))
        arity = FUNCTIONS[name]
        args = tuple(self.build(a, depth) for a in node.args)
        if (arity and len(args) != arity) or (not arity and len(args) < 2):
            raise keyed(ExpressionError, "rules.arity", name=name, arity=arity or Nested("rules.two_or_more"),
                        count=len(args), text=self.text.strip()[:120])
        return ("call", name, args)

    def _unit_literal(self, node: ast.Call) -> Tree:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) \
                or not isinstance(node.args[0].value, str):
            raise keyed(ExpressionError, "rules.unit_literal", text=self.text[:80])
        text = node.args[0].value
        if self.units is not None:
            try:
                self.units(text)  # raises if the unit is unknown
            except ExpressionError:
                raise
            except Exception as exc:   # the units callable's own error (ValueParseError): same message, our type
                raise keyed(ExpressionError, "rules.unit_problem", unit=text[:40], problem=Caught(exc)) from None
        return ("unit", text)

    def _Compare(self, node: ast.Compare, depth: int) -> Tree:
        if not self.condition:
            raise self.fail(Both("a comparison", "比较运算"))
        parts, left = [], self.build(node.left, depth)
        for op, comparator in zip(node.ops, node.comparators):
            if type(op) not in _CMP_OPS:
                raise self.fail(Both(type(op).__name__))
            right = self.build(comparator, depth)
            parts.append(("cmp", _CMP_OPS[type(op)], left, right))
            left = right
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> Tree:
        if not self.condition:
            raise self.fail(Both("and/or"))
        kind = "and" if isinstance(node.op, ast.And) else "or"
        return (kind, tuple(self.build(v, depth) for v in node.values))


def _short(text: str, limit: int = 120) -> str:
    """repr of text, cut to a readable length for messages."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _check_exponent(exponent: Tree, text: str) -> None:
    """Refuse constant exponents that are huge (9**9**9) before anything computes them."""
    if any(n[0] in ("var",) for n in walk(exponent)):
        return  # symbolic exponents (Chinchilla's alpha) are bounded by their variables' values
    value = _fold(exponent, text)
    if abs(value) > MAX_CONST_EXPONENT:
        raise keyed(ExpressionError, "rules.exponent_too_large", value=f"{value:g}", limit=MAX_CONST_EXPONENT,
                    text=text.strip()[:80])


def _fold(tree: Tree, text: str) -> float:
    """Value of a constant tree, with every intermediate bounded."""
    kind = tree[0]
    try:
        if kind == "num":
            return float(tree[1])
        if kind == "add":
            return math.fsum(_fold(a, text) for a in tree[1])
        if kind == "mul":
            return math.prod(_fold(a, text) for a in tree[1])
        if kind == "pow":
            base, exp = _fold(tree[1], text), _fold(tree[2], text)
            if abs(exp) > MAX_CONST_EXPONENT:
                raise keyed(ExpressionError, "rules.exponent_too_large", value=f"{exp:g}", limit=MAX_CONST_EXPONENT,
                            text=text[:80])
            return float(base ** exp)
    except (OverflowError, ZeroDivisionError, TypeError):
        raise keyed(ExpressionError, "rules.constant_not_computable", text=text[:80]) from None
    raise keyed(ExpressionError, "rules.exponent_kind", text=text[:80])


def walk(tree: Tree) -> Iterator[Tree]:
    """Every node of a tree, depth first."""
    yield tree
    kind = tree[0]
    if kind in ("add", "mul", "and", "or"):
        for child in tree[1]:
            yield from walk(child)
    elif kind == "pow":
        yield from walk(tree[1])
        yield from walk(tree[2])
    elif kind == "call":
        for child in tree[2]:
            yield from walk(child)
    elif kind == "cmp":
        yield from walk(tree[2])
        yield from walk(tree[3])
    elif kind == "not":
        yield from walk(tree[1])


def variables(tree: Tree) -> set[str]:
    """Names a tree refers to."""
    return {n[1] for n in walk(tree) if n[0] == "var"}


def to_json(tree: Tree) -> Any:
    """Tuples -> lists (JSON has no tuples)."""
    if isinstance(tree, tuple):
        return [to_json(t) for t in tree]
    return tree


def from_json(data: Any) -> Any:
    """Inverse of to_json."""
    if isinstance(data, list):
        return tuple(from_json(d) for d in data)
    return data


def render(tree: Tree) -> str:
    """A readable one-line form (for messages and plain-text derivations)."""
    kind = tree[0]
    if kind == "num":
        v = tree[1]
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"
    if kind == "var":
        return tree[1]
    if kind == "unit":
        return f'unit("{tree[1]}")'
    if kind == "add":
        out = render(tree[1][0])
        for t in tree[1][1:]:
            if t[0] == "mul" and t[1] and t[1][0] == ("num", -1.0):
                rest = t[1][1:]
                out += " - " + _paren(("mul", rest) if len(rest) > 1 else rest[0], "sub")
            else:
                out += " + " + render(t)
        return out
    if kind == "mul":
        num, den = [], []
        for t in tree[1]:
            if t[0] == "pow" and t[2] == ("num", -1.0):
                den.append(_paren(t[1], "den"))
            else:
                num.append(_paren(t, "mul"))
        if num[:1] == ["-1"]:
            num = ["-" + (num[1] if len(num) > 1 else "1")] + num[2:]
        text = " * ".join(num) if num else "1"
        return text + "".join(" / " + d for d in den)
    if kind == "pow":
        return f"{_paren(tree[1], 'pow')}**{_paren(tree[2], 'pow')}"
    if kind == "call":
        return f"{tree[1]}({', '.join(render(a) for a in tree[2])})"
    if kind == "cmp":
        return f"{render(tree[2])} {tree[1]} {render(tree[3])}"
    if kind in ("and", "or"):
        return f" {kind} ".join(_paren(t, "and") for t in tree[1])
    if kind == "not":
        return "not " + _paren(tree[1], "and")
    raise ValueError(kind)


def _paren(tree: Tree, context: str) -> str:
    text = render(tree)
    if context == "sub":   # a - (b - c)
        return f"({text})" if tree[0] == "add" else text
    if context == "den":   # a / (b * c): anything but a single factor needs parentheses
        return f"({text})" if tree[0] in ("add", "mul") or (tree[0] == "num" and tree[1] < 0) else text
    order = {"add": 1, "mul": 2, "pow": 3, "and": 0, "or": 0, "cmp": 0}
    if tree[0] in order and order[tree[0]] < order.get(context, 0):
        return f"({text})"
    if context == "pow" and tree[0] == "pow":
        return f"({text})"
    if context == "pow" and (tree[0] in ("mul", "add") or (tree[0] == "num" and tree[1] < 0)):
        return f"({text})"
    return text


_CONSTANT_CALLS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "ceil": math.ceil, "floor": math.floor, "abs": abs,
    "min": min, "max": max,
}


def constant_value(tree: Tree) -> float:
    """Value of a tree without variables or units (NaN where it has none, e.g. log(0)).

    Plain floats, so the rule loader can check a constant exponent's dimensions without the
    numeric (numpy) evaluator of engine.solve."""
    try:
        return float(_constant(tree))
    except (ArithmeticError, ValueError, TypeError):
        return math.nan


def _constant(tree: Tree) -> float:
    kind = tree[0]
    if kind == "num":
        return float(tree[1])
    if kind == "add":
        return math.fsum(_constant(t) for t in tree[1])
    if kind == "mul":
        return math.prod(_constant(t) for t in tree[1])
    if kind == "pow":
        return float(_constant(tree[1]) ** _constant(tree[2]))
    if kind == "call":
        return float(_CONSTANT_CALLS[tree[1]](*(_constant(t) for t in tree[2])))
    raise ValueError(f"not a constant: {kind}")
