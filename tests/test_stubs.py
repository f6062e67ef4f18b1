"""Stubs: every solution cell the generator accepts becomes code that runs, keeps its names
and signatures, and raises NotImplementedError in every function; anything else is refused
with the line named."""

import asyncio
import inspect
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursekit.course.stubs import stub_source

SOLUTION = '''import torch
# Hint: flip reverses a dimension.

def reverse_clip(video):
    """video: (T, C, H, W) -> the same frames, last first."""
    # time is dim 0
    return video.flip(0)


@torch.no_grad()
def pooled(features,
           dim=1):
    return features.mean(dim)


class Baseline(torch.nn.Module):
    """Order-blind."""

    def forward(self, x):
        return x.mean(1)

flat_size: int = 64 * 28 * 28
'''


def run(source: str) -> dict:
    """Execute stubbed code; return its namespace."""
    namespace = {}
    exec(compile(source, "<stub>", "exec"), namespace)
    return namespace


def test_functions_keep_signature_and_docstring_and_raise_not_implemented():
    stub = stub_source(SOLUTION)
    assert "return video.flip(0)" not in stub and "# time is dim 0" not in stub
    assert '"""video: (T, C, H, W) -> the same frames, last first."""' in stub
    assert "@torch.no_grad()\ndef pooled(features,\n           dim=1):" in stub
    namespace = run(stub)
    with pytest.raises(NotImplementedError, match="Exercise: write reverse_clip"):
        namespace["reverse_clip"](None)
    with pytest.raises(NotImplementedError, match="Exercise: write pooled"):
        namespace["pooled"](None)


def test_imports_comments_classes_and_assignments():
    stub = stub_source(SOLUTION)
    assert stub.startswith("import torch\n# Hint: flip reverses a dimension.")
    namespace = run(stub)
    assert namespace["flat_size"] is ...
    assert namespace["Baseline"].__doc__ == "Order-blind."
    with pytest.raises(NotImplementedError, match="write forward"):
        namespace["Baseline"]().forward(None)


def test_a_stray_statement_is_refused_and_named():
    with pytest.raises(ValueError, match=r"line 2: .*got `print\(x\)`"):
        stub_source("x = 1\nprint(x)")
    with pytest.raises(ValueError, match=r"line 1: .*got `for i in range\(3\):`; move it"):
        stub_source("for i in range(3):\n    print(i)")


# ---------------------------------------------------------------------------------------------
# Every solution cell the generator accepts becomes a stub that runs
# ---------------------------------------------------------------------------------------------

CELL = "solution_cell"  # the __name__ a cell runs under: it tells the cell's classes apart
IMPORTS = "import asyncio\nimport dataclasses\nimport functools\nimport typing\n\n"
ANSWER = "4242"  # every answer in a generated cell holds it, and no stub may


def run_cell(source: str) -> dict:
    """Run a cell's code in a fresh namespace; return the namespace."""
    namespace = {"__name__": CELL}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


def made_by_cell(value) -> bool:
    return isinstance(value, type) and value.__module__ == CELL


def defined_names(namespace) -> dict:
    """The names a cell defines; for each class it made, the names in it, recursively."""
    return {name: defined_names(vars(value)) if made_by_cell(value) else None
            for name, value in namespace.items() if name != "__builtins__"}


def cell_functions(namespace):
    """Every function and method the cell's code defines, whatever decorates it."""
    for value in list(namespace.values()):
        if made_by_cell(value):
            yield from cell_functions(vars(value))
        elif isinstance(value, (staticmethod, classmethod)):
            yield value.__func__
        elif isinstance(value, property):
            yield from (f for f in (value.fget, value.fset, value.fdel) if f is not None)
        elif callable(value):
            function = inspect.unwrap(value)
            if inspect.isfunction(function) and function.__code__.co_filename == "<cell>":
                yield value


def call(function):
    """Call with None for each required argument; run the coroutine of an async function."""
    parameters = inspect.signature(inspect.unwrap(function)).parameters.values()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in parameters if p.default is p.empty]
    result = function(*[None for p in required if p.kind in positional],
                      **{p.name: None for p in required if p.kind == p.KEYWORD_ONLY})
    if inspect.iscoroutine(result):
        asyncio.run(result)


def check_stub(original: str) -> str:
    """Assert that the stub of ``original`` runs, defines the same names (class members
    included), and that each of its functions and methods raises NotImplementedError."""
    stub = stub_source(original)
    namespace = run_cell(stub)
    assert defined_names(namespace) == defined_names(run_cell(original)), stub
    for function in cell_functions(namespace):
        name = inspect.unwrap(function).__name__
        with pytest.raises(NotImplementedError, match=f"Exercise: write {name}"):
            call(function)
    return stub


TRICKY_CELLS = {
    "tuple": "a, b = 1, 2",
    "starred": "first, *rest = [1, 2, 3]",
    "nested targets": "(a, b), [c, *d] = (1, 2), [3, 4, 5]",
    "chain with a tuple": "a = b, c = 1, 2",
    "annotated": "x: int = 3",
    "bare annotation": "x: int",
    "augmented": "x = 1\nx += 1",
    "same line": "a = 1; b = 2",
    "multi-line value": "x = [\n    1,\n    2,\n]",
    "lambda": "double = lambda x: 2 * x",
    "one-line def": "def f(x): return x",
    "one-line def, docstring": 'def f(x): "Doc."; return x',
    "one-line def, long docstring": "def f(x): '''Doc\n    more.'''; return x",
    "one-line def after non-ASCII": 'def f(x="é"): return x',
    "colons in signature": "def f(d={'k': 1}, g=lambda v: v) -> dict: return d",
    "multi-line signature": "def f(\n    x,\n    y=(1,\n       2),\n):\n    return x + y",
    "only a docstring": 'def f(x):\n    """Only a docstring."""',
    "decorator with arguments": "@functools.lru_cache(\n    maxsize=None,\n)\n"
                                "def f(x):\n    return x",
    "stacked decorators": "@typing.no_type_check\n@functools.lru_cache(maxsize=None)\n"
                          "def f(x): return x",
    "colon in a decorator of the first member": "class A:\n    @functools.lru_cache("
                                                "maxsize=(lambda: None)())\n    def m(self): "
                                                "return 1",
    "decorated def first in a body": "def f():\n    @functools.lru_cache(maxsize={'k': None}"
                                     "['k'])\n    def inner(): return 1\n    return inner",
    "async": "async def f(x):\n    await asyncio.sleep(0)\n    return x",
    "async one line": "async def f(): return 1",
    "generator": "def g(n):\n    yield from range(n)",
    "class docstring only": 'class A:\n    """Only a docstring."""',
    "class pass": "class A: pass",
    "class on one line": "class A: x = 1; y = 2",
    "class docstring on one line": "class A: 'Doc.'",
    "class header on lines": "class A(\n    object,\n    metaclass=type,\n):\n    x = 1",
    "nested classes": "class A:\n    class B:\n        def m(self):\n            return 1\n"
                      "    def n(self): return 2",
    "decorated methods": "class A:\n    @staticmethod\n    def s(x):\n        return x\n\n"
                         "    @classmethod\n    def make(cls): return cls()\n\n"
                         "    @property\n    def p(self):\n        return 1\n\n"
                         "    @p.setter\n    def p(self, value):\n        self._p = value",
    "dataclass": "@dataclasses.dataclass(\n    frozen=True,\n)\nclass P:\n    x: int\n"
                 "    y: int = 0\n    def norm(self): return abs(self.x) + abs(self.y)",
    "comments and blank lines": "# hint\n\nx = 1  # trailing\n\n# another\ndef f():\n"
                                "    # inside hint\n    return 1\n# end",
    "import on lines": "from math import (\n    pi,  # comment\n    tau,\n)\nr = pi + tau",
    "import then assignment": "import math; x = math.pi",
    "placeholders": "pass\n...",
    "Windows line ends": "x = 1\r\ndef f():\r\n    return x\r\n",
    "tabs": "class A:\n\tdef m(self): return 1\n\tdef n(self):\n\t\treturn 2",
    "only comments": "# only a hint",
    "empty": "",
}


@pytest.mark.parametrize("original", TRICKY_CELLS.values(), ids=TRICKY_CELLS)
def test_a_tricky_solution_cell_stubs_to_code_that_runs(original):
    check_stub(IMPORTS + original)


def test_stubs_of_assignments_keep_the_names_and_lose_the_values():
    assert stub_source("first, *rest = [1, 2, 3]") == (
        "first = ...  # TODO: your answer\nrest = ...  # TODO: your answer")
    assert stub_source("a = b = 1") == "a = b = ...  # TODO: your answer"
    assert stub_source("x: int = 3\ny: int") == "x: int = ...  # TODO: your answer\ny: int"
    assert stub_source("x = 1\nx += 1").splitlines()[1] == "x = ...  # TODO: your answer"


def test_a_one_line_def_keeps_its_signature():
    assert stub_source('def f(x): "Doc."; return x') == (
        'def f(x):\n    "Doc."\n    # TODO: your code here\n'
        '    raise NotImplementedError("Exercise: write f")')
    stub = stub_source("class A:\n    @staticmethod\n    def s(d={'k': 1}): return d")
    assert "    @staticmethod\n    def s(d={'k': 1}):\n        # TODO: your code here\n" in stub


@pytest.mark.parametrize("original", [
    "obj.x = 1", 'd["k"] = 2', "a, obj.x = 1, 2", "obj.x: int = 1", 'd["k"] += 1',
])
def test_an_assignment_to_part_of_an_object_is_refused_and_named(original):
    with pytest.raises(ValueError, match=r"^line 2: .* part of an object made elsewhere") as error:
        stub_source("import math\n" + original)
    assert "\n" not in str(error.value)


NAMES = st.sampled_from(["a", "b", "total", "first", "rest", "f", "g", "Model"])
MEMBER_NAMES = st.sampled_from(["x", "y", "size", "forward", "Inner"])
ASSIGNMENTS = [
    "{0} = {v}", "{0} = {1} = {v}", "{0}, {1} = {v}, 1", "({0}, {1}), {2} = ({v}, 1), 2",
    "{0}, *{1} = [{v}, 1, 2]", "[{0}, {1}] = {v}, 1", "{0}: int = {v}", "{0} = {v}; {1} = 1",
    "{0} = (\n    {v},\n    1,\n)", "{0} = {v}\n{0} += 1", "{0} = lambda x: x + {v}",
]
BARE_ANNOTATION = "{0}: 'list[int]'"  # not in a dataclass: a field without a default
SIGNATURES = [
    "()", "(x)", "(x, y=1)", "(*args, **kwargs)", "(x, /, y, *, z)", '(d={"k": 1}, f=lambda v: v)',
    "(x: int, y: 'str' = 'a:b') -> int", "(\n    x,\n    y=(1,\n       2),\n)",
    "(x: typing.Dict[str, int] = None) -> typing.List[int]",
]
DOCSTRINGS = ['"""One line."""', '"""First line.\n\nMore: see below.\n"""', "'Doc.'"]
DECORATORS = ["@functools.lru_cache(maxsize=None)", "@functools.lru_cache(\n    maxsize=None,\n)",
              "@functools.lru_cache(maxsize=(lambda: None)())", "@typing.no_type_check",
              "@typing.final"]
METHOD_KINDS = {"plain": ("self", []), "static": ("", ["@staticmethod"]),
                "class": ("cls", ["@classmethod"]), "property": ("self", ["@property"])}
BODIES = [f"return {ANSWER}", f"y = {ANSWER}; return y", "pass", f"# a hint\nreturn {ANSWER}",
          f"for i in range(3):\n    y = {ANSWER}", f"def inner():\n    return {ANSWER}",
          f"@functools.lru_cache(maxsize={{'k': None}}['k'])\ndef inner():\n    return {ANSWER}",
          f"\n\nz = {ANSWER}"]
SYNC_BODIES, ASYNC_BODIES = [f"yield {ANSWER}"], ["await asyncio.sleep(0)"]


STARRED = "{0}, *{1} = [{v}, 1, 2]"  # not in a dataclass: {1} is a list, a mutable default


@st.composite
def assignments(draw, dataclass=False):
    forms = [f for f in ASSIGNMENTS if f != STARRED] if dataclass else \
        ASSIGNMENTS + [BARE_ANNOTATION]
    form = draw(st.sampled_from(forms))
    return form.format(*draw(st.lists(NAMES, min_size=3, max_size=3)), v=ANSWER)


def with_first_parameter(signature: str, first: str) -> str:
    """("(x)", "self") -> "(self, x)"; ("()", "self") -> "(self)"."""
    if not first:
        return signature
    separator = "" if signature.startswith("()") else ", "
    return f"({first}{separator}{signature[1:]}"


@st.composite
def functions(draw, method=False):
    """A def: decorated or not, sync or async, any signature, its body on its line or below."""
    kind = draw(st.sampled_from(list(METHOD_KINDS))) if method else "plain"
    first, decorators = METHOD_KINDS[kind] if method else ("", [])
    if kind == "plain":
        decorators = draw(st.lists(st.sampled_from(DECORATORS), max_size=2))
    is_async = kind != "property" and draw(st.booleans())
    signature = with_first_parameter(draw(st.sampled_from(SIGNATURES)), first)
    name = draw(MEMBER_NAMES if method else NAMES)
    header = "\n".join(decorators + [f"{'async ' * is_async}def {name}{signature}:"])
    docstring = draw(st.sampled_from([None] + DOCSTRINGS))
    statements = BODIES + (ASYNC_BODIES if is_async else SYNC_BODIES)
    body = draw(st.lists(st.sampled_from(statements), min_size=0 if docstring else 1,
                         max_size=3))
    lines = ([docstring] if docstring else []) + body
    one_line = [line for line in lines if "\n" not in line]
    if one_line == lines and draw(st.booleans()):
        return f"{header} {'; '.join(lines)}"
    return header + "\n" + textwrap.indent("\n".join(lines), "    ")


@st.composite
def classes(draw, depth=0):
    """A class: decorated or not (dataclass too), with members, nested classes, docstrings."""
    decorator = draw(st.sampled_from(["", "@typing.final\n", "@dataclasses.dataclass\n",
                                      "@dataclasses.dataclass(\n    frozen=True,\n)\n"]))
    header = draw(st.sampled_from(["class {}:", "class {}(object):", "class {}(\n    object,\n):",
                                   "class {}(metaclass=type):"]))
    header = decorator + header.format(draw(MEMBER_NAMES if depth else NAMES))
    shape = draw(st.sampled_from(["docstring", "placeholder", "one line", "members", "members"]))
    if shape == "one line":
        return f"{header} " + draw(st.sampled_from([f"x = {ANSWER}; y = 1", "pass", "'Doc.'",
                                                    "...", f"'Doc.'; x = {ANSWER}"]))
    if shape == "members":
        member = st.one_of(assignments("dataclass" in decorator), functions(method=True),
                           *([classes(depth + 1)] if depth < 2 else []))
        body = draw(st.lists(member, min_size=1, max_size=4))
    else:
        body = [draw(st.sampled_from(["pass", "..."]))] if shape == "placeholder" else []
    docstring = draw(st.sampled_from([None] + DOCSTRINGS)) if body else DOCSTRINGS[1]
    body = ([docstring] if docstring else []) + body
    return header + "\n" + textwrap.indent("\n\n".join(body), "    ")


@st.composite
def solution_cells(draw):
    statements = draw(st.lists(st.one_of(assignments(), functions(), classes()), min_size=1,
                               max_size=5))
    gaps = st.sampled_from(["\n", "\n\n", "\n# a hint\n", "\n\n    # an indented hint\n\n"])
    return IMPORTS + "".join(draw(gaps) + statement for statement in statements) + "\n"


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(solution_cells())
def test_every_generated_solution_cell_stubs_to_code_that_runs(cell):
    assert ANSWER not in check_stub(cell)
