"""Student copies of the notebooks: every ``solution`` cell becomes a stub to complete.

The instructor's notebooks in ``notebooks/`` hold the answers, in code cells tagged
``solution``. A student copy keeps everything else as it is (markdown, teaching code, slide
metadata, the check cells), clears every output, and replaces each solution by its stub:

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
the generator refuses it and names the cell. Run it with ``make student``, or::

    python -m coursekit.student notebooks build/student

A notebook that cannot be read (not JSON, not UTF-8, not a valid notebook) stops the command
with a one-line error naming the file and exit status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import ast
import copy
import io
import json
import os
import shutil
import sys
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"  # what a solution cell is tagged in the student copy
TODO = "# TODO: your answer"


# ---------------------------------------------------------------------------------------------
# Stubs
# ---------------------------------------------------------------------------------------------

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
        return ast.get_source_segment(self.source, node)


def stub_source(source: str) -> str:
    """The student's version of a solution cell's code (see the module docstring).

    Raises ValueError, naming the line, for a statement a stub cannot keep.
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
        done_until, members = members[0].end_lineno, members[1:]
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


# ---------------------------------------------------------------------------------------------
# Notebooks
# ---------------------------------------------------------------------------------------------

class NotebookError(ValueError):
    """A notebook file that cannot be used; the message is one line and names the file."""


def read_notebook(path) -> nbformat.NotebookNode:
    """The notebook at ``path``, converted to nbformat 4 and validated against its schema.

    Raises NotebookError ("notebooks/03_x.ipynb: not valid JSON (line 3, column 5: ...)") for
    a file that cannot be read, is not UTF-8 or JSON, or is not a valid notebook.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise NotebookError(f"{path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise NotebookError(
            f"{path}: not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}); save it again from JupyterLab, which writes UTF-8") from None
    try:
        return _parse_notebook(text)
    except NotebookError as error:
        raise NotebookError(f"{path}: {error}") from None


def _parse_notebook(text: str) -> nbformat.NotebookNode:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "restore it with git, or open and save it in JupyterLab") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")),
                                                     list):
        raise NotebookError('not a Jupyter notebook: there is no "cells" list at its top level')
    try:
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = _where(getattr(error, "absolute_path", []))
        raise NotebookError(f"not a valid notebook: {where}{_one_line(error.message)}") from None
    except (nbformat.NBFormatError, AttributeError, KeyError, TypeError) as error:
        raise NotebookError(f"not a notebook nbformat can read: {_one_line(error)}") from None
    return notebook


def _where(path) -> str:
    """A schema path, for a person: ["cells", 3, "outputs", 0] -> "cell 3, output 0: "."""
    parts, singular = [], {"cells": "cell", "outputs": "output"}
    for key in path:
        if isinstance(key, int) and parts:
            parts[-1] = f"{singular.get(parts[-1], parts[-1])} {key}"
        else:
            parts.append(str(key))
    return ", ".join(parts) + ": " if parts else ""


def _one_line(message, limit: int = 200) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def student_copy(notebook: dict, name: str = "notebook") -> dict:
    """notebook: nbformat JSON (a dict) -> the student's copy (a new dict), outputs cleared."""
    student = copy.deepcopy(notebook)
    for index, cell in enumerate(student["cells"]):
        if cell["cell_type"] != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            try:
                stub = stub_source("".join(cell["source"]))
            except (SyntaxError, ValueError) as error:
                raise ValueError(f"{name}, cell {index} (tagged solution): {error}") from None
            cell["source"] = stub
            cell["metadata"]["tags"] = [EXERCISE_TAG if t == SOLUTION_TAG else t for t in tags]
    return student


def write_student_copies(source_dir, out_dir) -> list[Path]:
    """Write the student copy of every ``NN_*.ipynb`` in ``source_dir`` to ``out_dir``.

    All or nothing: every notebook is read and stubbed before anything is written, so a
    broken notebook (NotebookError) or solution cell (ValueError) leaves ``out_dir`` as it was.
    """
    source_dir = Path(source_dir)
    paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no numbered notebooks (NN_*.ipynb) in {source_dir}")
    texts = {path.name: _notebook_text(student_copy(read_notebook(path), str(path)))
             for path in paths}
    return write_files_together(texts, out_dir)


def _notebook_text(notebook) -> str:
    text = nbformat.writes(nbformat.from_dict(notebook))
    return text if text.endswith("\n") else text + "\n"


def write_files_together(texts: dict[str, str], out_dir) -> list[Path]:
    """Write each ``{file name: text}`` into ``out_dir``, all of them or none.

    The files go to a temporary folder next to ``out_dir`` first, and move into ``out_dir``
    only once every one is written; other files already in ``out_dir`` stay.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
        out_dir.mkdir(exist_ok=True)
        for name in texts:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in texts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.student",
        description="Write the student copy of every NN_*.ipynb: each cell tagged `solution` "
                    "becomes a stub to complete, and every output is cleared.",
        epilog="Exit status: 0 done, 1 the copies could not be written, 2 a bad input "
               "(no notebooks, a broken notebook, a solution cell that cannot be stubbed).",
    )
    parser.add_argument("notebook_dir", type=Path, help="folder of the instructor's notebooks")
    parser.add_argument("out_dir", type=Path, help="where the copies go, e.g. build/student")
    args = parser.parse_args(argv)
    try:
        written = write_student_copies(args.notebook_dir, args.out_dir)
    except (FileNotFoundError, ValueError) as error:  # the input given: nothing was written
        print(f"error: {_one_line(error, 1000)}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write to {args.out_dir}: {_one_line(error)}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
