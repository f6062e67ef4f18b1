"""A solution cell's code -> the stub a student completes: signatures stay, answers go.

- ``def f(x):`` (sync or async, decorators included) keeps its signature and docstring; its
  body becomes a TODO and ``raise NotImplementedError("Exercise: write f")``, also when the
  body was on the signature's line (``def f(x): return x``);
- ``class A(B):`` keeps its decorators, header and docstring, and its members are stubbed
  the same way (methods, nested classes, class attributes);
- an assignment keeps its names and loses its value: ``n = ...``, ``a = b = ...``,
  ``x: int = ...`` (a bare annotation ``x: int`` stays as it is); ``a, *b = ...`` becomes one
  ``name = ...`` line per name, and ``x += 1`` becomes ``x = ...``;
- imports, ``pass``, ``...`` and whole-line comments stay, so the hints survive.

A solution cell may hold nothing else: a stray call, a loop, or an assignment to part of an
object (``model.x = ...``, ``table[k] = ...``) would crash or mislead the student's run, so
``stub_source`` refuses it with a ValueError naming the line.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

__all__ = ["TODO", "stub_source"]

TODO = "# TODO: your answer"


@dataclass
class _Cell:
    """A solution cell's code: its text, its lines, and where each ``:`` token is."""

    source: str
    lines: list[str]
    colons: list[tuple[int, int]]  # (line from 1, column in characters), in order

    @classmethod
    def of(cls, source: str) -> _Cell:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        colons = [t.start for t in tokens if t.type == tokenize.OP and t.string == ":"]
        return cls(source, source.split("\n"), colons)

    def segment(self, node) -> str:
        """The code of a node parsed from this cell (its positions are always known)."""
        return ast.get_source_segment(self.source, node) or ""


def stub_source(source: str) -> str:
    """source: a solution cell's code -> its stub, the code the student's copy shows.

    ``stub_source("def f(x):\\n    return x + 1")`` keeps ``def f(x):`` and raises
    NotImplementedError("Exercise: write f") in its body (see the module docstring).
    Raises ValueError, naming the line, for a statement a stub cannot keep, and SyntaxError
    for code that is not Python.
    """
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    body = ast.parse(source).body
    cell = _Cell.of(source)
    trailing = cell.lines[body[-1].end_lineno:] if body else cell.lines
    return "\n".join(_stub_block(body, cell, "", 0) + _comments(trailing)).strip("\n")


def _stub_block(nodes, cell: _Cell, indent: str, done_until: int) -> list[str]:
    """Stub each statement, keeping the comments and blank lines between them.

    indent: the block's indentation; done_until: cell.lines[:done_until] are already handled.
    """
    out = []
    for node in nodes:
        out += _comments(cell.lines[done_until:_first_line(node)])
        out += _stub_statement(node, cell, indent)
        done_until = max(done_until, node.end_lineno)
    return out


def _stub_statement(node: ast.stmt, cell: _Cell, indent: str) -> list[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)) or _is_ellipsis(node):
        return [indent + cell.segment(node)]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _stub_function(node, cell)
    if isinstance(node, ast.ClassDef):
        return _stub_class(node, cell)
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return [indent + line for line in _stub_assignment(node)]
    raise ValueError(
        f"line {node.lineno}: a solution cell may hold only imports, functions, classes and "
        f"assignments, got `{_short(node)}`; move it to the next (check) cell"
    )


def _stub_function(node, cell: _Cell) -> list[str]:
    header, indent, _ = _header(node, cell)
    first = node.body[0]
    docstring = [indent + cell.segment(first)] if _is_docstring(first) else []
    return header + docstring + [
        f"{indent}# TODO: your code here",
        f'{indent}raise NotImplementedError("Exercise: write {node.name}")',
    ]


def _stub_class(node: ast.ClassDef, cell: _Cell) -> list[str]:
    header, indent, done_until = _header(node, cell)
    members = node.body
    if _is_docstring(members[0]):
        header = header + [indent + cell.segment(members[0])]
        done_until, members = members[0].end_lineno or members[0].lineno, members[1:]
    return header + _stub_block(members, cell, indent, done_until)


def _header(node, cell: _Cell) -> tuple[list[str], str, int]:
    """The lines of a def or class from its first decorator to its colon, the colon's comments.

    Returns (those lines, the indentation of the body, how many lines of the cell are done).
    A body on the colon's line (``def f(x): return x``) is cut off and moves to the next line.
    """
    first = node.body[0]
    line = _first_line(first) + 1  # a decorated statement starts at its first decorator
    body_line = cell.lines[line - 1]
    column = _char_column(body_line, first.col_offset) if line == first.lineno else 0
    row, colon = max(position for position in cell.colons if position < (line, column))
    header = cell.lines[_first_line(node):row]
    if line == row:
        own_indent = _leading_space(cell.lines[node.lineno - 1])
        return header[:-1] + [header[-1][:colon + 1]], own_indent + "    ", row
    comments = _comments(cell.lines[row:line - 1])
    return header + comments, _leading_space(body_line), line - 1


def _stub_assignment(node) -> list[str]:
    """``a = 1`` -> ``a = ...``; the names keep their order, the values go."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = list(dict.fromkeys(n for target in targets for n in _target_names(target, node)))
    if isinstance(node, ast.AnnAssign):
        annotated = f"{names[0]}: {ast.unparse(node.annotation)}"
        return [annotated if node.value is None else f"{annotated} = ...  {TODO}"]
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in targets):
        return [" = ".join(names) + f" = ...  {TODO}"]
    return [f"{name} = ...  {TODO}" for name in names]


def _target_names(target, statement) -> list[str]:
    """The names an assignment target binds, in order: ``a, (b, *c)`` -> a, b, c."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value, statement)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for part in target.elts for name in _target_names(part, statement)]
    raise ValueError(
        f"line {statement.lineno}: `{_short(statement)}` sets `{ast.unparse(target)}`, part of "
        "an object made elsewhere, which a stub cannot keep; a solution cell may assign only "
        "names (`answer = ...`): move this line into a function, or to the next (check) cell"
    )


def _first_line(node) -> int:
    """0-based index of a statement's first line, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators]) - 1


def _char_column(line: str, byte_offset: int) -> int:
    """ast counts columns in UTF-8 bytes, tokenize in characters."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8"))


def _leading_space(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _short(node) -> str:
    """A statement's first line, at most 60 characters: enough to find it in the cell."""
    return ast.unparse(node).split("\n")[0][:60]


def _is_docstring(node) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_ellipsis(node) -> bool:
    """A bare ``...`` statement, a placeholder that does nothing."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and node.value.value is ...)


def _comments(lines: list[str]) -> list[str]:
    """The whole-line comments and blank lines among ``lines``: the hints a stub keeps."""
    return [line for line in lines if not line.strip() or line.lstrip().startswith("#")]
