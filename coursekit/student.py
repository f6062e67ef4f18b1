"""Student copies of the notebooks: every ``solution`` cell becomes a stub to complete.

The instructor's notebooks in ``notebooks/`` hold the answers, in code cells tagged
``solution``. A student copy keeps everything else as it is (markdown, teaching code, slide
metadata, the check cells), clears every output, and replaces each solution by its stub:

- ``def f(x):`` keeps its signature and docstring; its body becomes a TODO and
  ``raise NotImplementedError("Exercise: write f")``;
- ``class A(B):`` keeps its header and docstring, and each method is stubbed the same way;
- ``name = ...`` (any assignment) keeps its target and loses its value;
- imports and whole-line comments stay, so the hints survive.

A solution cell may hold nothing else: a stray call would crash the student's run, so the
generator refuses it and names the cell. Run it with ``make student``, or::

    python -m coursekit.student notebooks build/student
"""

from __future__ import annotations

import ast
import copy
import json
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"  # what a solution cell is tagged in the student copy


def stub_source(source: str) -> str:
    """The student's version of a solution cell's code (see the module docstring)."""
    lines = source.splitlines()
    body = ast.parse(source).body
    trailing = lines[body[-1].end_lineno:] if body else lines
    return "\n".join(_stub_statements(body, lines, 0) + _comments(trailing)).strip("\n")


def _stub_statement(node: ast.stmt, lines: list[str]) -> list[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return lines[_first_line(node):node.end_lineno]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _stub_function(node, lines)
    if isinstance(node, ast.ClassDef):
        return _stub_class(node, lines)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = " = ".join(ast.unparse(target) for target in targets)
        indent = lines[node.lineno - 1][: node.col_offset]
        return [f"{indent}{names} = ...  # TODO: your answer"]
    raise ValueError(
        f"line {node.lineno}: a solution cell may hold only imports, functions, classes and "
        f"assignments, got `{ast.unparse(node)[:60]}`; move it to the next (check) cell"
    )


def _stub_function(node, lines: list[str]) -> list[str]:
    body = node.body
    if body[0].lineno == node.lineno:
        raise ValueError(f"line {node.lineno}: write `def {node.name}(...):` and its body on "
                         "separate lines, so the signature can be kept")
    keep_until = body[0].lineno - 1  # the signature, which may span several lines
    if _is_docstring(body[0]):
        keep_until = body[0].end_lineno
    indent = lines[body[0].lineno - 1][: body[0].col_offset]
    return lines[_first_line(node):keep_until] + [
        f"{indent}# TODO: your code here",
        f'{indent}raise NotImplementedError("Exercise: write {node.name}")',
    ]


def _stub_class(node: ast.ClassDef, lines: list[str]) -> list[str]:
    body = node.body
    header_until = body[0].end_lineno if _is_docstring(body[0]) else body[0].lineno - 1
    members = body[1:] if _is_docstring(body[0]) else body
    return lines[_first_line(node):header_until] + _stub_statements(members, lines, header_until)


def _stub_statements(nodes, lines: list[str], done_until: int) -> list[str]:
    """Stub each statement, keeping the comments and blank lines between them.

    done_until: lines[:done_until] are already handled.
    """
    out = []
    for node in nodes:
        out += _comments(lines[done_until:_first_line(node)])
        out += _stub_statement(node, lines)
        done_until = node.end_lineno
    return out


def _first_line(node) -> int:
    """0-based index of a statement's first line, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators]) - 1


def _is_docstring(node) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _comments(lines: list[str]) -> list[str]:
    """The whole-line comments and blank lines among ``lines``: the hints a stub keeps."""
    return [line for line in lines if not line.strip() or line.lstrip().startswith("#")]


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
    """Write the student copy of every ``NN_*.ipynb`` in ``source_dir`` to ``out_dir``."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no numbered notebooks (NN_*.ipynb) in {source_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        student = student_copy(json.loads(path.read_text()), path.name)
        target = out_dir / path.name
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    return written


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m coursekit.student NOTEBOOK_DIR OUT_DIR", file=sys.stderr)
        return 2
    try:
        written = write_student_copies(*args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
