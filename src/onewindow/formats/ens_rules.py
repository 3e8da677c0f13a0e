"""Business rules as data: a loader for a rule set and an evaluator of its assert language.

A rule set is a folder with ``rules/`` below it. A list file there (``businessRules315.txt`` for
an entry summary declaration) names the rule files that apply, one a line, in order. Each rule
file is JSON::

    {"element": "/GOOITEGDS/PACGS2", "name": "...",
     "asserts": [{"test": "exists('KinOfPacGS23')", "errorCode": "8600",
                  "errorMessage": "...", "localErrorMessage": "..."}]}

The element is a path below the message's root element (``/`` is the root itself). The rule
applies once to every element the path reaches; each assert's test is evaluated with that element
as context, and every test that does not hold gives an error with the assert's code, its
``errorMessage`` and the context's location: each step with the message's qualified name and its
1-based position among same-named siblings (``/ie:CC315A[1]/GOOITEGDS[2]/PACGS2[1]``). Every
error is reported, in rule-file order, then context order, then assert order.

The assert language is a small expression language (a subset of Groovy, as the published rules
write it). Its grammar, loosest binding first::

    expr    := and ('||' and)*
    and     := eq ('&&' eq)*
    eq      := rel (('==' | '!=') rel)*
    rel     := add (('<' | '<=' | '>' | '>=') add)*
    add     := mul (('+' | '-') mul)*
    mul     := unary (('*' | '/') unary)*
    unary   := ('!' | '-') unary | postfix
    postfix := primary ('.' NAME '(' args ')')*
    primary := NUMBER | STRING | 'true' | 'false' | NAME '(' args ')' | NAME | '(' expr ')'
             | '{' [TYPE? NAME (',' TYPE? NAME)* '->'] expr '}'

Paths are strings: ``.`` is the context itself; ``a/b`` the ``b`` children of the context's ``a``
children; leading ``..`` steps go up first (``../../HEAHEA/x``); a leading ``/`` starts above the
message's root. A step matches elements by local name, whatever their namespace. The text of an
element is all the text below it, whitespace included. Functions over a path:

=============================  ==============================================================
``exists(p)`` / ``not(p)``     some element / no element at ``p``
``exists(p, {c, l -> e})``     ``e`` holds for some element at ``p`` (``l`` is that element,
                               ``c`` the caller's context)
``existsForAll(p, q, v)``      every element at ``p`` has a ``q`` whose trimmed text is ``v``
``getValue(p)``                text of the first element at ``p``, ``''`` when none
``trim(p)``                    that text without leading and trailing characters <= space
``number(p)``                  that text read as a decimal number; NaN when none or not a number
``intOrElse(p, d)``            that text read as an integer, else ``d``
``sum(p)``                     sum of the numbers of every element at ``p`` (NaN if one is not)
``count(p)``                   number of elements at ``p``
``countEquals(p, v)``          number of elements at ``p`` whose trimmed text is ``v``
``countDistinct(p, trim)``     number of distinct texts at ``p`` (trimmed when ``trim``)
``countDistinctChildCount(p)`` number of distinct child-element counts among elements at ``p``
``areIndices(p)``              the texts at ``p`` are the integers 1, 2, 3, ... in order
``applyRegex(p, re)``          the first element at ``p`` exists and its whole text matches
``substringAfter(s, c)``       the part of ``s`` after the first ``c`` (``''`` when none)
=============================  ==============================================================

String methods: ``s.startsWith(t)``, ``endsWith``, ``contains``, ``take(n)`` (first ``n``
characters), ``drop(n)``, ``length()``, ``trim()``, ``isEmpty()``, ``toUpperCase()``,
``toLowerCase()``, ``equals(t)``. ``number`` and ``intOrElse`` read numbers as Java does
(``1e3``, ``+1``, ``2.5d``, ``NaN``; integers within 32 bits); regular expressions match the
whole text, with ASCII classes (``\\s``, ``\\d``, ``\\w``). Arithmetic follows Groovy: integer
with integer stays integral, a decimal literal is exact (``0.0001``), anything with a float is a
float. Comparing two primitive numbers follows IEEE (NaN equals nothing); once an operand is a
boxed number (a ``sum`` or an exact decimal), NaN is equal to itself and above every number.

Expressions are parsed once, when the rule set is loaded, and checked for known functions, their
arity and the types of comparisons; a rule file that fails gives :class:`RuleSetError` naming the
file. :func:`load_rule_set` caches one rule set per folder and list file for the process.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Context as DecimalContext
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

from lxml import etree

__all__ = [
    "Assert",
    "Message",
    "Node",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "contexts",
    "evaluate",
    "evaluate_rules",
    "load_rule_set",
    "parse_expression",
]


class RuleSetError(Exception):
    """A rule set cannot be read: the message names the file and what is wrong."""


class ExpressionError(ValueError):
    """An assert's test is not an expression of the language; the message says where."""


# --------------------------------------------------------------------------- values and nodes

_EXACT = DecimalContext(prec=200)
_JAVA_BLANK = "".join(chr(c) for c in range(33))
_JAVA_DOUBLE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?)", re.ASCII
)
_JAVA_INT = re.compile(r"[+-]?\d+", re.ASCII)


def java_trim(text: str) -> str:
    """``text`` without leading and trailing characters up to U+0020, as Java's ``trim``."""
    return text.strip(_JAVA_BLANK)


def java_double(text: str) -> float:
    """``text`` (trimmed) read as Java's ``Double.parseDouble`` reads it; NaN when it cannot."""
    value = java_trim(text)
    if not _JAVA_DOUBLE.fullmatch(value):
        return math.nan
    value = value.rstrip("fFdD") if not value.endswith(("NaN", "Infinity")) else value
    return float(value.replace("Infinity", "inf"))


def java_int(text: str) -> int | None:
    """``text`` (trimmed) read as a 32-bit integer as Java's ``Integer.parseInt``; else None."""
    value = java_trim(text)
    if not _JAVA_INT.fullmatch(value):
        return None
    number = int(value)
    return number if -(2**31) <= number < 2**31 else None


class Node:
    """An element of the message as the rules see it, or the virtual root above the message."""

    __slots__ = ("_text", "element", "message")

    def __init__(self, element: etree._Element | None, message: Message) -> None:
        self.element = element
        self.message = message
        self._text: str | None = None

    def children(self) -> Iterator[etree._Element]:
        """Child elements (comments and processing instructions are not children)."""
        if self.element is None:
            yield self.message.root
            return
        for child in self.element:
            if isinstance(child.tag, str):
                yield child

    def text(self) -> str:
        """All text below the element, whitespace included."""
        if self._text is None:
            target = self.message.root if self.element is None else self.element
            self._text = "".join(target.itertext())
        return self._text

    def up(self, generations: int) -> Node | None:
        """The ancestor that many generations up, or None above the virtual root."""
        element = self.element
        for _ in range(generations):
            if element is None:
                return None
            element = None if element is self.message.root else element.getparent()
        return self.message.top if element is None else Node(element, self.message)


class Message:
    """A message under evaluation: its root, and the children of each element by name, found
    once (a rule over 999 goods items looks up its siblings 999 times)."""

    __slots__ = ("_named", "root", "top")

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.top = Node(None, self)
        self._named: dict[tuple[etree._Element | None, str], list[Node]] = {}

    def named(self, node: Node, name: str) -> list[Node]:
        """The child elements of ``node`` with local name ``name``, in document order."""
        key = (node.element, name)
        found = self._named.get(key)
        if found is None:
            found = [Node(c, self) for c in node.children() if _local(c.tag) == name]
            self._named[key] = found
        return found


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(frozen=True, slots=True)
class _Path:
    """A parsed path: ``.``, absolute (from the virtual root) or relative (``..`` steps first)."""

    current: bool
    absolute: bool
    up: int
    names: tuple[str, ...]


def _split_steps(text: str) -> list[str]:
    steps = text.split("/")
    while steps and steps[-1] == "":
        steps.pop()
    return steps


def parse_path(text: str) -> _Path:
    """Parse a path string of the language (see the module's description)."""
    if text == ".":
        return _Path(True, False, 0, ())
    if text.startswith("/"):
        names = tuple(_local_name(s) for s in _split_steps(text[1:]))
        return _Path(False, True, 0, names)
    steps = _split_steps(text)
    up = 0
    while up < len(steps) and steps[up] == "..":
        up += 1
    return _Path(False, False, up, tuple(_local_name(s) for s in steps[up:]))


def _local_name(step: str) -> str:
    return step.partition(":")[2] if ":" in step else step


def select(node: Node, path: _Path) -> list[Node]:
    """The nodes a path reaches from ``node``, in document order of each step."""
    if path.current:
        return [node]
    start = node.message.top if path.absolute else node.up(path.up)
    if start is None:
        return []
    named = node.message.named
    nodes = [start]
    for name in path.names:
        if len(nodes) == 1:
            nodes = named(nodes[0], name)
        else:
            nodes = [c for n in nodes for c in named(n, name)]
        if not nodes:
            break
    return nodes


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+\.\d+|\d+)
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<op>\|\||&&|==|!=|<=|>=|->|[<>!+\-*/(),.{}])
    )""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    at: int


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body, flags=re.DOTALL)


def tokenize(source: str) -> list[_Token]:
    """Split an expression into tokens; an unknown character is an :class:`ExpressionError`."""
    tokens: list[_Token] = []
    at = 0
    while at < len(source):
        if source[at:].strip() == "":
            break
        match = _TOKEN.match(source, at)
        if not match or match.lastgroup is None:
            column = at + len(source[at:]) - len(source[at:].lstrip())
            raise ExpressionError(f"unexpected character {source[column]!r} at {column}")
        tokens.append(
            _Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup))
        )
        at = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


# --------------------------------------------------------------------------- syntax tree

Value = Union[bool, int, float, Decimal, str, Node, "Closure"]
Scope = dict[str, Value]


class Expr:
    """A node of the syntax tree; ``kind`` is its static type for load-time checks."""

    kind: str = "any"

    def eval(self, scope: Scope) -> Value:
        raise NotImplementedError


@dataclass(slots=True)
class Literal(Expr):
    value: Value
    kind: str = "any"

    def eval(self, scope: Scope) -> Value:
        return self.value


@dataclass(slots=True)
class Variable(Expr):
    name: str
    kind: str = "node"

    def eval(self, scope: Scope) -> Value:
        return scope[self.name]


@dataclass(slots=True)
class Closure(Expr):
    params: tuple[str, ...]
    body: Expr
    scope: Scope | None = None
    kind: str = "closure"

    def eval(self, scope: Scope) -> Value:
        return Closure(self.params, self.body, scope)

    def call(self, *args: Value) -> bool:
        inner = dict(self.scope or {})
        inner.update(zip(self.params, args, strict=False))
        return truth(self.body.eval(inner))


@dataclass(slots=True)
class Not(Expr):
    operand: Expr
    kind: str = "bool"

    def eval(self, scope: Scope) -> Value:
        return not truth(self.operand.eval(scope))


@dataclass(slots=True)
class Negate(Expr):
    operand: Expr
    kind: str = "num"

    def eval(self, scope: Scope) -> Value:
        value = self.operand.eval(scope)
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ExpressionError(f"cannot negate {value!r}")
        return -value


@dataclass(slots=True)
class Logical(Expr):
    op: str
    left: Expr
    right: Expr
    kind: str = "bool"

    def eval(self, scope: Scope) -> Value:
        first = truth(self.left.eval(scope))
        if self.op == "||":
            return first or truth(self.right.eval(scope))
        return first and truth(self.right.eval(scope))


@dataclass(slots=True)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr
    boxed: bool = False
    kind: str = "bool"

    def eval(self, scope: Scope) -> Value:
        return compare(self.op, self.left.eval(scope), self.right.eval(scope), self.boxed)


@dataclass(slots=True)
class Arithmetic(Expr):
    op: str
    left: Expr
    right: Expr
    kind: str = "num"

    def eval(self, scope: Scope) -> Value:
        return arithmetic(self.op, self.left.eval(scope), self.right.eval(scope))


@dataclass(slots=True)
class Call(Expr):
    """A function of the language: on the caller's context, or on a receiver (a method)."""

    name: str
    args: list[Expr]
    receiver: Expr | None = None
    paths: dict[int, _Path] = field(default_factory=dict)
    kind: str = "any"

    def eval(self, scope: Scope) -> Value:
        receiver = scope["this"] if self.receiver is None else self.receiver.eval(scope)
        args = [
            self.paths[i] if i in self.paths else a.eval(scope) for i, a in enumerate(self.args)
        ]
        if isinstance(receiver, Node):
            return _FUNCTIONS[self.name].run(receiver, scope, args)
        if isinstance(receiver, str):
            return _STRING_METHODS[self.name].run(receiver, args)
        raise ExpressionError(f"{self.name}() cannot be called on {receiver!r}")


def truth(value: Value) -> bool:
    """Groovy truth: false, zero and the empty string are false (NaN is true)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return value is not None


def _is_number(value: Value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def arithmetic(op: str, left: Value, right: Value) -> Value:
    """Groovy arithmetic: exact for integers and decimals, float as soon as a float takes part."""
    if op == "+" and isinstance(left, str):
        return left + _groovy_string(right)
    if not (_is_number(left) and _is_number(right)):
        raise ExpressionError(f"cannot compute {left!r} {op} {right!r}")
    a: Any = left
    b: Any = right
    if isinstance(a, float) or isinstance(b, float):
        return _float_op(op, float(a), float(b))
    if isinstance(a, Decimal) or isinstance(b, Decimal) or op == "/":
        return _decimal_op(op, Decimal(a), Decimal(b))
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def _float_op(op: str, a: float, b: float) -> float:
    if op == "/":
        if b == 0:
            return math.copysign(math.inf, a) if a != 0 else math.nan
        return a / b
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def _decimal_op(op: str, a: Decimal, b: Decimal) -> Decimal:
    if op == "/":
        if b == 0:
            raise ExpressionError("division by zero")
        return DecimalContext(prec=34).divide(a, b)
    method = {"+": _EXACT.add, "-": _EXACT.subtract, "*": _EXACT.multiply}[op]
    return method(a, b)


def _groovy_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compare(op: str, left: Value, right: Value, boxed: bool) -> bool:
    """Compare two values of the same kind; ``boxed`` picks Java's total order of doubles."""
    if _is_number(left) and _is_number(right):
        a, b = _comparable(left, right)
        if boxed and (isinstance(a, float) and isinstance(b, float)):
            order = _total_order(a, b)
            return _by_order(op, order)
        return _by_operator(op, a, b)
    if op in ("==", "!="):
        same = type(left) is type(right) and left == right
        return same if op == "==" else not same
    if isinstance(left, str) and isinstance(right, str):
        return _by_operator(op, left, right)
    raise ExpressionError(f"cannot compare {left!r} {op} {right!r}")


def _comparable(left: Value, right: Value) -> tuple[Any, Any]:
    if isinstance(left, float) or isinstance(right, float):
        return float(left), float(right)  # type: ignore[arg-type]
    return left, right


def _total_order(a: float, b: float) -> int:
    if math.isnan(a) or math.isnan(b):
        return (math.isnan(a) and 1 or 0) - (math.isnan(b) and 1 or 0)
    if a == b == 0:
        return (math.copysign(1, a) > 0) - (math.copysign(1, b) > 0)
    return (a > b) - (a < b)


def _by_order(op: str, order: int) -> bool:
    return {
        "==": order == 0,
        "!=": order != 0,
        "<": order < 0,
        "<=": order <= 0,
        ">": order > 0,
        ">=": order >= 0,
    }[op]


def _by_operator(op: str, a: Any, b: Any) -> bool:
    return {
        "==": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True, slots=True)
class _Function:
    """A function over the context: its argument kinds (``path``, ``str``, ...) and result."""

    params: tuple[str, ...]
    result: str
    body: Callable[..., Value]

    def run(self, node: Node, scope: Scope, args: list[Any]) -> Value:
        return self.body(node, scope, *args)


def _first_text(node: Node, path: _Path) -> str | None:
    found = select(node, path)
    return found[0].text() if found else None


def _get_value(node: Node, scope: Scope, path: _Path) -> str:
    text = _first_text(node, path)
    return "" if text is None else text


def _number(node: Node, scope: Scope, path: _Path) -> float:
    text = _first_text(node, path)
    return math.nan if text is None else java_double(text)


def _int_or_else(node: Node, scope: Scope, path: _Path, default: Value) -> Value:
    text = _first_text(node, path)
    number = None if text is None else java_int(text)
    return default if number is None else number


def _apply_regex(node: Node, scope: Scope, path: _Path, pattern: str) -> bool:
    text = _first_text(node, path)
    return text is not None and _regex(pattern).fullmatch(text) is not None


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}
_JAVA_DOT = r"[^\n\r\u0085\u2028\u2029]"


def java_pattern(pattern: str) -> str:
    """A Java regular expression in Python's syntax: ``.`` outside a character class does not
    match any of Java's line terminators (Python's stops only at ``\\n``)."""
    out: list[str] = []
    depth = 0
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[":
            depth += 1
            out.append(char)
        elif char == "]" and depth:
            depth -= 1
            out.append(char)
        else:
            out.append(_JAVA_DOT if char == "." and not depth else char)
    return "".join(out)


def _regex(pattern: str) -> re.Pattern[str]:
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        try:
            compiled = re.compile(java_pattern(pattern), re.ASCII)
        except re.error as exc:
            raise ExpressionError(f"bad regular expression {pattern!r}: {exc}") from None
        _REGEX_CACHE[pattern] = compiled
    return compiled


def _sum(node: Node, scope: Scope, path: _Path) -> float:
    return math.fsum(java_double(n.text()) for n in select(node, path))


def _exists(node: Node, scope: Scope, path: _Path, test: Closure | None = None) -> bool:
    found = select(node, path)
    if test is None:
        return bool(found)
    return any(test.call(node, each) for each in found)


def _exists_for_all(node: Node, scope: Scope, parent: _Path, path: _Path, value: str) -> bool:
    return all(
        any(java_trim(n.text()) == value for n in select(p, path)) for p in select(node, parent)
    )


def _are_indices(node: Node, scope: Scope, path: _Path) -> bool:
    values = [java_int(n.text()) for n in select(node, path)]
    return values == list(range(1, len(values) + 1))


def _count_distinct(node: Node, scope: Scope, path: _Path, trim: bool) -> int:
    texts = (n.text() for n in select(node, path))
    return len({java_trim(t) if trim else t for t in texts})


def _substring_after(node: Node, scope: Scope, value: str, target: str) -> str:
    if target == "":
        raise ExpressionError("substringAfter needs a character to look for")
    at = value.find(target[0])
    return "" if at < 0 else value[at + 1 :]


_FUNCTIONS: dict[str, _Function] = {
    "exists": _Function(("path", "closure?"), "bool", _exists),
    "not": _Function(("path",), "bool", lambda n, s, p: not select(n, p)),
    "existsForAll": _Function(("path", "path", "str"), "bool", _exists_for_all),
    "getValue": _Function(("path",), "str", _get_value),
    "trim": _Function(("path",), "str", lambda n, s, p: java_trim(_get_value(n, s, p))),
    "number": _Function(("path",), "num", _number),
    "intOrElse": _Function(("path", "num"), "num", _int_or_else),
    "sum": _Function(("path",), "boxnum", _sum),
    "count": _Function(("path",), "num", lambda n, s, p: len(select(n, p))),
    "countEquals": _Function(
        ("path", "str"),
        "num",
        lambda n, s, p, v: sum(1 for x in select(n, p) if java_trim(x.text()) == v),
    ),
    "countDistinct": _Function(("path", "bool"), "num", _count_distinct),
    "countDistinctChildCount": _Function(
        ("path",), "num", lambda n, s, p: len({sum(1 for _ in x.children()) for x in select(n, p)})
    ),
    "areIndices": _Function(("path",), "bool", _are_indices),
    "applyRegex": _Function(("path", "str"), "bool", _apply_regex),
    "substringAfter": _Function(("str", "str"), "str", _substring_after),
}


@dataclass(frozen=True, slots=True)
class _Method:
    """A method on a string value: argument kinds and result kind."""

    params: tuple[str, ...]
    result: str
    body: Callable[..., Value]

    def run(self, value: str, args: list[Any]) -> Value:
        return self.body(value, *args)


def _take(value: str, n: Value) -> str:
    count = int(n)  # type: ignore[arg-type]
    return value[: max(count, 0)]


def _drop(value: str, n: Value) -> str:
    count = int(n)  # type: ignore[arg-type]
    return value[max(count, 0) :]


_STRING_METHODS: dict[str, _Method] = {
    "startsWith": _Method(("str",), "bool", lambda v, t: v.startswith(t)),
    "endsWith": _Method(("str",), "bool", lambda v, t: v.endswith(t)),
    "contains": _Method(("str",), "bool", lambda v, t: t in v),
    "equals": _Method(("str",), "bool", lambda v, t: v == t),
    "take": _Method(("num",), "str", _take),
    "drop": _Method(("num",), "str", _drop),
    "length": _Method((), "num", len),
    "size": _Method((), "num", len),
    "isEmpty": _Method((), "bool", lambda v: v == ""),
    "trim": _Method((), "str", java_trim),
    "toUpperCase": _Method((), "str", str.upper),
    "toLowerCase": _Method((), "str", str.lower),
}


# --------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over the tokens, one method per level of the grammar."""

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.at = 0
        self.variables: list[set[str]] = [set()]

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def accept(self, *ops: str) -> str | None:
        token = self.peek()
        if token.kind == "op" and token.text in ops:
            self.at += 1
            return token.text
        return None

    def expect(self, op: str) -> None:
        if self.accept(op) is None:
            token = self.peek()
            found = token.text or "the end"
            raise ExpressionError(f"expected {op!r} at {token.at}, found {found!r}")

    def parse(self) -> Expr:
        expr = self.logical_or()
        if self.peek().kind != "end":
            token = self.peek()
            raise ExpressionError(f"unexpected {token.text!r} at {token.at}")
        return expr

    def logical_or(self) -> Expr:
        expr = self.logical_and()
        while self.accept("||"):
            expr = Logical("||", expr, self.logical_and())
        return expr

    def logical_and(self) -> Expr:
        expr = self.equality()
        while self.accept("&&"):
            expr = Logical("&&", expr, self.equality())
        return expr

    def equality(self) -> Expr:
        expr = self.relational()
        while op := self.accept("==", "!="):
            expr = _comparison(op, expr, self.relational())
        return expr

    def relational(self) -> Expr:
        expr = self.additive()
        while op := self.accept("<", "<=", ">", ">="):
            expr = _comparison(op, expr, self.additive())
        return expr

    def additive(self) -> Expr:
        expr = self.multiplicative()
        while op := self.accept("+", "-"):
            expr = _arithmetic(op, expr, self.multiplicative())
        return expr

    def multiplicative(self) -> Expr:
        expr = self.unary()
        while op := self.accept("*", "/"):
            expr = _arithmetic(op, expr, self.unary())
        return expr

    def unary(self) -> Expr:
        if self.accept("!"):
            return Not(self.unary())
        if self.accept("-"):
            operand = self.unary()
            if isinstance(operand, Literal) and _is_number(operand.value):
                return Literal(-operand.value, operand.kind)  # type: ignore[operator]
            return Negate(operand, kind=operand.kind)
        return self.postfix()

    def postfix(self) -> Expr:
        expr = self.primary()
        while self.accept("."):
            name = self.take()
            if name.kind != "name":
                raise ExpressionError(f"expected a method name at {name.at}")
            expr = self.method(expr, name.text, self.arguments())
        return expr

    def primary(self) -> Expr:
        token = self.take()
        if token.kind == "num":
            return _number_literal(token.text)
        if token.kind == "str":
            return Literal(_unquote(token.text), "str")
        if token.kind == "name":
            return self.name(token)
        if token.kind == "op" and token.text == "(":
            expr = self.logical_or()
            self.expect(")")
            return expr
        if token.kind == "op" and token.text == "{":
            return self.closure()
        found = token.text or "the end"
        raise ExpressionError(f"unexpected {found!r} at {token.at}")

    def name(self, token: _Token) -> Expr:
        if token.text in ("true", "false"):
            return Literal(token.text == "true", "bool")
        if self.peek().kind == "op" and self.peek().text == "(":
            return self.function(token, self.arguments())
        if any(token.text in scope for scope in self.variables):
            return Variable(token.text)
        raise ExpressionError(f"unknown name {token.text!r} at {token.at}")

    def arguments(self) -> list[Expr]:
        self.expect("(")
        args: list[Expr] = []
        if self.accept(")"):
            return args
        args.append(self.logical_or())
        while self.accept(","):
            args.append(self.logical_or())
        self.expect(")")
        return args

    def closure(self) -> Expr:
        params = self.closure_params()
        self.variables.append(set(params))
        body = self.logical_or()
        self.variables.pop()
        self.expect("}")
        return Closure(tuple(params), body)

    def closure_params(self) -> list[str]:
        start = self.at
        names: list[str] = []
        while True:
            words = []
            while self.peek().kind == "name":
                words.append(self.take().text)
            if not words or len(words) > 2:
                break
            names.append(words[-1])
            if self.accept("->"):
                return names
            if not self.accept(","):
                break
        self.at = start
        return ["it"]

    def function(self, token: _Token, args: list[Expr]) -> Expr:
        function = _FUNCTIONS.get(token.text)
        if function is None:
            raise ExpressionError(f"unknown function {token.text!r} at {token.at}")
        return _checked_call(token.text, function.params, function.result, args, None)

    def method(self, receiver: Expr, name: str, args: list[Expr]) -> Expr:
        if receiver.kind == "node":
            function = _FUNCTIONS.get(name)
            if function is None:
                raise ExpressionError(f"unknown function {name!r} on a context")
            return _checked_call(name, function.params, function.result, args, receiver)
        method = _STRING_METHODS.get(name)
        if method is None or receiver.kind not in ("str", "any"):
            raise ExpressionError(f"unknown method {name!r} on a {receiver.kind} value")
        return _checked_call(name, method.params, method.result, args, receiver)


def _number_literal(text: str) -> Literal:
    if "." in text:
        return Literal(Decimal(text), "boxnum")
    return Literal(int(text), "num")


_NUMERIC = ("num", "boxnum")


def _comparison(op: str, left: Expr, right: Expr) -> Expr:
    kinds = {left.kind, right.kind}
    numeric = kinds <= set(_NUMERIC)
    if not numeric and len(kinds - {"any"}) > 1:
        raise ExpressionError(f"cannot compare a {left.kind} with a {right.kind} ({op})")
    if op not in ("==", "!=") and (kinds & {"bool", "node", "closure"}):
        raise ExpressionError(f"cannot order {left.kind} values ({op})")
    return Compare(op, left, right, boxed=numeric and "boxnum" in kinds)


def _arithmetic(op: str, left: Expr, right: Expr) -> Expr:
    if op == "+" and left.kind == "str":
        return Arithmetic(op, left, right, kind="str")
    if left.kind not in _NUMERIC or right.kind not in _NUMERIC:
        raise ExpressionError(f"cannot compute a {left.kind} {op} a {right.kind}")
    boxed = "boxnum" in (left.kind, right.kind) or op == "/"
    return Arithmetic(op, left, right, kind="boxnum" if boxed else "num")


def _checked_call(
    name: str, params: tuple[str, ...], result: str, args: list[Expr], receiver: Expr | None
) -> Call:
    required = [p for p in params if not p.endswith("?")]
    if not len(required) <= len(args) <= len(params):
        raise ExpressionError(f"{name}() takes {len(params)} arguments, not {len(args)}")
    paths: dict[int, _Path] = {}
    for i, (param, arg) in enumerate(zip(params, args, strict=False)):
        kind = param.rstrip("?")
        if kind == "path":
            if not (isinstance(arg, Literal) and isinstance(arg.value, str)):
                raise ExpressionError(f"{name}() takes a quoted path as argument {i + 1}")
            paths[i] = parse_path(arg.value)
        elif kind == "num" and arg.kind not in (*_NUMERIC, "any"):
            raise ExpressionError(f"{name}() takes a number as argument {i + 1}")
        elif kind in ("str", "bool", "closure") and arg.kind not in (kind, "any"):
            raise ExpressionError(f"{name}() takes a {kind} as argument {i + 1}")
        if name == "applyRegex" and i == 1 and isinstance(arg, Literal):
            _regex(str(arg.value))
    return Call(name, args, receiver, paths, kind=result)


def parse_expression(source: str) -> Expr:
    """Parse and check one assert test; an :class:`ExpressionError` says what is wrong where."""
    return _Parser(source).parse()


def evaluate(expr: Expr, node: Node) -> bool:
    """Evaluate a parsed test with ``node`` as its context, by Groovy truth."""
    return truth(expr.eval({"this": node}))


# --------------------------------------------------------------------------- rule sets


@dataclass(frozen=True, slots=True)
class Assert:
    """One assert of a rule: the parsed test, its source, error code and error message."""

    test: Expr
    source: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule file: the element path it applies to (below the message root) and its asserts."""

    name: str
    element: str
    asserts: tuple[Assert, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of one list file, in its order."""

    folder: Path
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RuleError:
    """An assert that does not hold: code, message and the context's location."""

    code: str
    location: str
    text: str


def _read_rule(path: Path) -> Rule:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuleSetError(f"rule file {path} cannot be read: {exc}") from None
    try:
        return _rule_from(data)
    except (ExpressionError, KeyError, TypeError, ValueError) as exc:
        reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise RuleSetError(f"rule file {path} is not a valid rule: {reason}") from None


def _rule_from(data: Any) -> Rule:
    if not isinstance(data, dict):
        raise ValueError("the file must hold one JSON object")
    element = data["element"]
    if not isinstance(element, str) or not element.startswith("/"):
        raise ValueError("'element' must be a path starting with '/'")
    asserts = data["asserts"]
    if not isinstance(asserts, list) or not asserts:
        raise ValueError("'asserts' must be a non-empty list")
    return Rule(str(data.get("name", "")), element, tuple(_assert_from(a) for a in asserts))


def _assert_from(data: Any) -> Assert:
    if not isinstance(data, dict):
        raise ValueError("each assert must be a JSON object")
    test, code, message = data["test"], data["errorCode"], data["errorMessage"]
    if not all(isinstance(v, str) for v in (test, code, message)):
        raise ValueError("'test', 'errorCode' and 'errorMessage' must be strings")
    try:
        parsed = parse_expression(test)
    except ExpressionError as exc:
        raise ExpressionError(f"error {code}: {exc} in {test!r}") from None
    return Assert(parsed, test, code, message)


def _rule_names(list_file: Path) -> list[str]:
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RuleSetError(f"rule list {list_file} cannot be read: {exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


_CACHE: dict[tuple[Path, str], RuleSet] = {}
_LOCK = threading.Lock()


def load_rule_set(folder: Path, list_name: str) -> RuleSet:
    """The rules that ``folder/rules/list_name`` names, parsed once per process.

    Raises :class:`RuleSetError` naming the file when the list or a rule file is missing or
    malformed, or when a test is not an expression of the language.
    """
    key = (folder.resolve(), list_name)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            rules_dir = key[0] / "rules"
            names = _rule_names(rules_dir / list_name)
            cached = RuleSet(key[0], tuple(_read_rule(rules_dir / name) for name in names))
            _CACHE[key] = cached
        return cached


def contexts(message: Message, path: str) -> list[tuple[str, Node]]:
    """Every element an absolute rule path reaches, with its indexed location."""
    found: list[tuple[str, Node]] = [("", message.top)]
    for step in _split_steps(path[1:]):
        name = _local_name(step)
        reached: list[tuple[str, Node]] = []
        for location, node in found:
            matching = message.named(node, name)
            reached += [(f"{location}/{step}[{i}]", c) for i, c in enumerate(matching, 1)]
        found = reached
    return found


def evaluate_rules(rule_set: RuleSet, root: etree._Element, base: str) -> list[RuleError]:
    """Every error the rules find in the message ``root``; rule paths start below ``base``.

    ``base`` is the message's root as the locations write it (``/ie:CC315A``).
    """
    errors: list[RuleError] = []
    message = Message(root)
    for rule in rule_set.rules:
        for location, node in contexts(message, base + rule.element):
            scope: Scope = {"this": node}
            for check in rule.asserts:
                if not _holds(rule, check, scope):
                    errors.append(RuleError(check.code, location, check.message))
    return errors


def _holds(rule: Rule, check: Assert, scope: Scope) -> bool:
    try:
        return truth(check.test.eval(scope))
    except ExpressionError as exc:
        raise RuleSetError(f"rule {rule.name} (error {check.code}) fails: {exc}") from None
