"""Cells named as a student finds them in Jupyter: "the cell that defines `corr2d`", "the 3rd code cell".

Jupyter shows no cell numbers (``In [7]`` counts executions, not places), and a count over all
cells includes the Markdown cells, which nobody counts. So the reports name a graded cell by what it
defines and any other cell by its place among the code cells. The grading record still keeps each
note's cell as its 1-based index over all cells, for tools that read the notebook file.
"""

import ast
import re

from .items import kinds_for_kernel
from .kernel_side.capture import ASSIGNMENT, DEFINITION, bound_names

KINDS = kinds_for_kernel()   # graded name (aliases too) -> "function" | "class" | "value"
_DEFINED = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", re.M)


def ordinal(number):
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def graded_names(cell):
    """The graded names a code cell defines: its ``grader.item`` mark, else what its code binds."""
    marked = (cell.get("metadata") or {}).get("grader", {}).get("item")
    if marked:
        return [marked]
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                       for line in cell.get("source", "").splitlines())
    try:   # a def or class, or a value item's assignment (not the book's ``pool2d = nn.MaxPool2d(3)``)
        found = [name for name, how in bound_names(ast.parse(source))
                 if how == DEFINITION or (how == ASSIGNMENT and KINDS.get(name) == "value")]
    except SyntaxError:   # it cannot run, but its def lines still say what it is for
        found = [a or b for a, b in _DEFINED.findall(source)]
    return list(dict.fromkeys(name for name in found if name in KINDS))


def cell_name(cells, index):
    """``cells[index]`` (0-based over all cells) as a student finds it; "cell N" past the end."""
    if not 0 <= index < len(cells):
        return f"cell {index + 1}"
    cell = cells[index]
    if cell.get("cell_type") != "code":
        return f"the {ordinal(sum(c.get('cell_type') != 'code' for c in cells[:index + 1]))} Markdown cell"
    names = graded_names(cell)
    if names:
        return "the cell that defines " + _joined([f"`{name}`" for name in names])
    return f"the {ordinal(sum(c.get('cell_type') == 'code' for c in cells[:index + 1]))} code cell"


def cells_named(cells, indices):
    """Several cells at once: "the 2nd, 3rd and 5th code cells", graded cells by what they define."""
    return joined_names([cell_name(cells, index) for index in indices])


def joined_names(names):
    """Cell names as one phrase; "the 2nd code cell" and "the 5th code cell" become "the 2nd and 5th code cells"."""
    places = [name for name in names if name.endswith(" code cell")]
    if len(places) > 1:
        counted = _joined([name[len("the "):-len(" code cell")] for name in places])
        names = [name for name in names if name not in places] + [f"the {counted} code cells"]
    return _joined(names)


def _joined(parts):
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
