"""What a failing cell cost the student: where it stopped, and what it never got to define.

A cell that raises stops at that line; every import and definition after it never happens, and
later checks then fail with ``NameError`` far from the cause. The notes name the cell, its error,
the line, and those names; a ``NameError`` in a check's feedback points back to that cell.
"""

import ast
import re
from dataclasses import dataclass, field

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
NAME_ERROR = re.compile(r"NameError: name '([A-Za-z_]\w*)' is not defined")
MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def missing_module(error):
    """A plain sentence when ``error`` is an import of a package the grading environment lacks."""
    found = MISSING_MODULE.search(error or "")
    if not found:
        return ""
    from .setup_environment import recorded

    package = found.group(1).split(".")[0]
    why = recorded().get(package, {}).get("reason")
    return (f"{package} is not installed where the grader runs"
            + (f": {why}" if why else "; import only what the homework needs (torch, d2l, matplotlib, numpy)"))


@dataclass
class CellFailure:
    notebook: str
    cell: int                      # 1-based, as the notebook shows cells
    error: str                     # "ModuleNotFoundError: No module named 'torchinfo'"
    line: int | None = None        # 1-based line of the cell where it stopped
    code: str = ""                 # that line
    never_imported: list = field(default_factory=list)
    never_defined: list = field(default_factory=list)   # graded names

    def note(self):
        where = f" at line {self.line} (`{self.code}`)" if self.line and self.code else ""
        text = f"{self.notebook}: cell {self.cell} raised {self.error}{where}"
        lost = []
        if self.never_imported:
            lost.append("it never imported " + ", ".join(self.never_imported))
        if self.never_defined:
            lost.append("never defined " + ", ".join(self.never_defined))
        why = missing_module(self.error)
        return text + ("; " + " and ".join(lost) if lost else "") + (f". {why}" if why else "")

    def names(self):
        return set(self.never_imported) | set(self.never_defined)


def stopped_at(outputs):
    """The cell's line where its error was raised, from IPython's traceback; None if not shown."""
    for output in outputs:
        if output.get("output_type") == "error":
            found = CELL_LINE.search(ANSI.sub("", "\n".join(output.get("traceback", []))))
            return int(found.group(1)) if found else None
    return None


def _parse(source):
    """The cell as Python; IPython's magics and shell lines become blank lines (same numbering)."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def lost_names(source, line, graded):
    """(imports, graded definitions) of the statements from ``line`` on, which never ran."""
    tree = _parse(source)
    if tree is None:
        return [], []
    imported, defined = [], []
    for node in tree.body:
        if line is not None and getattr(node, "end_lineno", node.lineno) < line:
            continue
        if isinstance(node, ast.Import):
            imported += [alias.asname or alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported += [alias.asname or alias.name for alias in node.names if alias.name != "*"]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined += [t.id for t in targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(imported)), [name for name in dict.fromkeys(defined) if name in graded]


def cell_failure(notebook, cell, index, error, graded):
    line = stopped_at(cell.get("outputs", []))
    source_lines = cell.get("source", "").splitlines()
    code = source_lines[line - 1].strip() if line and 0 < line <= len(source_lines) else ""
    imported, defined = lost_names(cell.get("source", ""), line, graded)
    return CellFailure(notebook, index + 1, error, line, code[:120], imported, defined)


def point_to_cause(text, failures):
    """``text`` (a check's feedback) with a pointer to the cell behind each ``NameError`` in it."""
    pointers = []
    for name in dict.fromkeys(NAME_ERROR.findall(text or "")):
        for failure in failures:
            if name in failure.names():
                pointers.append(f"`{name}` is not defined because {failure.notebook} cell {failure.cell} "
                                f"raised {failure.error} before it got to `{name}`.")
                break
    return text + ("\n\n" + "\n\n".join(pointers) if pointers else "")
