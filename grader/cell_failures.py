"""What a failing cell cost the student: where it stopped, and what it never got to define.

A cell that raises stops at that line; every import and definition after it never happens, and
later checks then fail with ``NameError`` far from the cause. The notes name the cell, its error,
the line, and those names; a ``NameError`` in a check's feedback points back to that cell.
Cells that stopped only because Fashion-MNIST was missing share one note (``data_note``).
"""

import ast
import re
from dataclasses import dataclass, field

from .cell_names import cell_name, joined_names
from .kernel_side.capture import IMPORT, bound_names
from .kernel_side.error_text import without_cell_file

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
NAME_ERROR = re.compile(r"NameError: name '([A-Za-z_]\w*)' is not defined")
MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
DATA_MISSING = "FashionMNISTNotFound"   # d2l's error, named so in the kernel's error output
DATA_MISSING_SHORT = f"{DATA_MISSING} (the Fashion-MNIST files were missing; see the notes)"


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
    name: str = ""                 # as a student finds it: "the cell that defines `corr2d`", "the 3rd code cell"

    @property
    def called(self):
        return self.name or f"cell {self.cell}"

    def note(self):
        where = f" at line {self.line} (`{self.code}`)" if self.line and self.code else ""
        text = f"{self.notebook}: {self.called} raised {self.error}{where}"
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
    found = bound_names(tree, line)
    imported = [name for name, how in found if how == IMPORT]
    defined = [name for name, how in found if how != IMPORT and name in graded]
    return list(dict.fromkeys(imported)), list(dict.fromkeys(defined))


def _is_missing_data(error):
    return (error or "").split(":", 1)[0].split(" (", 1)[0].strip() == DATA_MISSING


def needs_missing_data(failure):
    """True for a cell that stopped because ``d2l.FashionMNIST`` found no data files."""
    return _is_missing_data(failure.error)


def plain_error(error):
    """``error`` as reports show it: d2l's missing-data text names the kernel's own temporary
    folders (gone once it closes) and is cut at 500 characters, so it becomes a short pointer."""
    return DATA_MISSING_SHORT if _is_missing_data(error) else error


def cell_failure(notebook, cell, index, error, graded, cells=None):
    """The failure of ``cell`` (``cells[index]`` of the notebook, when given, names it)."""
    line = stopped_at(cell.get("outputs", []))
    error = without_cell_file(plain_error(error), known_line=line is not None)
    source_lines = cell.get("source", "").splitlines()
    code = source_lines[line - 1].strip() if line and 0 < line <= len(source_lines) else ""
    imported, defined = lost_names(cell.get("source", ""), line, graded)
    name = cell_name(cells, index) if cells is not None else ""
    return CellFailure(notebook, index + 1, error, line, code[:120], imported, defined, name)


def point_to_cause(text, failures):
    """``text`` (a check's feedback) with a pointer to the cell behind each ``NameError`` in it."""
    pointers = []
    for name in dict.fromkeys(NAME_ERROR.findall(text or "")):
        for failure in failures:
            if name in failure.names():
                pointers.append(f"`{name}` is not defined because {failure.called} of {failure.notebook} "
                                f"raised {failure.error} before it got to `{name}`.")
                break
    return text + ("\n\n" + "\n\n".join(pointers) if pointers else "")


def data_note(failures, problem, env_var="FASHION_MNIST_DIR"):
    """One note for all the cells that could not load Fashion-MNIST, whatever their number.

    ``problem`` is the grader's ``DataProblem`` (where it looked, what is missing, why), or None
    when the grader did hand the kernels the data and a cell looked somewhere else.
    """
    if not failures:
        return None
    by_notebook = {}
    for failure in failures:
        by_notebook.setdefault(failure.notebook, []).append(failure)
    parts = []
    for notebook, cells in by_notebook.items():
        named = (joined_names([f.name for f in cells]) if all(f.name for f in cells) else
                 f"cell{'s' if len(cells) > 1 else ''} {', '.join(str(f.cell) for f in cells)}")
        lost = [name for f in cells for name in f.never_defined]
        parts.append(f"{named} of {notebook}"
                     + (f" (so {', '.join(dict.fromkeys(lost))} never got defined)" if lost else ""))
    cells = "; ".join(parts)
    if problem is None:
        return (f"Fashion-MNIST: {cells} raised {DATA_MISSING} although the grader gave the kernels its copy "
                f"through {env_var}; load it without a root argument (d2l.FashionMNIST(batch_size=...)) so "
                "that copy is used.")
    folder = problem.directory
    if problem.missing:
        trouble = f"{', '.join(problem.missing)} are missing" + (f" from {folder}" if folder else "")
        fix = "put them in that folder, or " if folder else ""
    else:
        trouble = "the files" + (f" in {folder}" if folder else "") + " could not be used"
        fix = "replace them with the official ones, or "
    return (f"Cells that load Fashion-MNIST could not run: {cells}. On the grading machine {trouble} "
            f"({problem.reason}): {fix}set {env_var} to a folder that has all four, then grade again.")
