"""Step 2 of the pipeline: make a submitted notebook safe and quick to execute.

One step, one class (as nbgrader's preprocessors): each takes a notebook and returns the
notes it wants in the report. Nothing here judges the student's code.
"""

import copy
import re

import nbformat

from .cell_names import cell_name
from .notebooks import clear_outputs
from .setup_cell import is_setup_cell

SKIP_MARK = "pass  # [grader] skipped:"
_LINE_ESCAPE = re.compile(
    r"^(\s*)(!.*|%(?:pip|conda|mamba|system|sx|sc|bash|sh|cd|env|store|run|load|writefile)\b.*"
    r"|(?:pip3?|conda|apt|apt-get|sudo|wget|curl|git)\s+\S.*|get_ipython\(\)\.system\(.*)$"
)
_CELL_ESCAPE = re.compile(r"^\s*%%(bash|sh|script|system|writefile|pip|conda|perl|ruby|python2|python3|pypy)\b")


class StripShellEscapes:
    """Turn shell escapes and package installs into ``pass`` so the rest of the cell still runs.

    Students paste ``!pip install d2l==1.0.3`` (which would replace the course library) and
    bare ``pip install ...`` lines; neither may run on a grading machine. The release's set-up
    cell is skipped the same way, without a note: it is in every notebook and needs no comment.
    """

    def apply(self, nb):
        notes = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            source, name = cell.source, cell_name(nb.cells, index)
            if _CELL_ESCAPE.match(source):
                notes.append(f"{name}: skipped a %%{_CELL_ESCAPE.match(source).group(1)} cell")
                cell.source = f"{SKIP_MARK} %%-cell"
                continue
            lines, quiet = source.split("\n"), is_setup_cell(cell)
            for i, line in enumerate(lines):
                match = _LINE_ESCAPE.match(line)
                if match and not _inside_string(lines, i):
                    indent, command = match.groups()
                    if not quiet:
                        notes.append(f"{name}: skipped `{command.strip()[:80]}`")
                    lines[i] = f"{indent}{SKIP_MARK} {command.strip()[:60]!r}"
            cell.source = "\n".join(lines)
        return notes


def _inside_string(lines, i):
    """Rough guard: do not rewrite a line that sits inside a triple-quoted string."""
    before = "\n".join(lines[:i])
    return (before.count('"""') % 2 == 1) or (before.count("'''") % 2 == 1)


class ClearOutputs:
    """Drop the submitted outputs: only what runs here counts, and stale outputs cost memory."""

    def apply(self, nb):
        clear_outputs(nb)
        return []


PREPROCESSORS = (ClearOutputs(), StripShellEscapes())


def prepare(nb):
    """Return a sanitized copy of ``nb`` and the notes for the report."""
    nb = nbformat.from_dict(copy.deepcopy(nb))
    notes = []
    for step in PREPROCESSORS:
        notes.extend(step.apply(nb))
    return nb, notes
