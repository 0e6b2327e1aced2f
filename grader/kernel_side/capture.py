"""Which graded names a notebook defined: watched cell by cell, so a later rebinding does not hide them.

After every cell, the names the cell *defined* (def, class, or an assignment of the right kind of
object) are remembered; ``pool2d = nn.MaxPool2d(3)``, as the book writes it, does not replace the
student's ``pool2d`` function. Runs in the kernel, as part of the agent.
"""

import ast
import re

from IPython import get_ipython
from torch import nn

from .contract import InventoryEntry
from .error_text import without_cell_file

_MISSING = object()

IMPORT, DEFINITION, ASSIGNMENT = "import", "definition", "assignment"
# Statements whose bodies run as the cell runs: a graded def guarded by ``try:`` or ``if`` is still
# the cell's. Not def or class bodies: a def's body runs only when called, a class's binds in the class.
_BLOCKS = (ast.If, ast.Try, ast.With, ast.For, ast.While)


def bound_names(tree: ast.Module, from_line: int | None = None) -> list[tuple[str, str]]:
    """(name, IMPORT | DEFINITION | ASSIGNMENT) for each name the cell's statements bind, in order.

    The one answer to "what does this cell define", for the agent (which graded names a cell
    defined) and for the grader's notes (what a failing cell never defined). ``from_line``: only
    the statements not finished by that line, where the cell raised, so never run. Assignments
    are ``name = ...`` and ``name: T = ...`` only, as the agent has always read them: counting
    ``a, b = ...`` too would change which of a student's bindings is graded.
    """
    found: list[tuple[str, str]] = []

    def visit(body: list[ast.stmt], line: int | None) -> None:
        for node in body:
            if line is not None and node.end_lineno < line:
                continue
            if isinstance(node, ast.Import):
                found.extend((alias.asname or alias.name.split(".")[0], IMPORT) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.extend((alias.asname or alias.name, IMPORT) for alias in node.names if alias.name != "*")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append((node.name, DEFINITION))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found.extend((t.id, ASSIGNMENT) for t in targets if isinstance(t, ast.Name))
            elif isinstance(node, _BLOCKS):
                anywhere = None if _left_through_a_clause(node, line) else line
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []) or [], line if field == "finalbody" else anywhere)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, line)

    visit(tree.body, from_line)
    return found


def _left_through_a_clause(node: ast.stmt, line: int | None) -> bool:
    """Whether ``line`` is in a try's except or finally clause. Jupyter reports an error at the
    last line its frame ran: one raised in a try's body and not caught shows the line of an
    ``except`` that did not match, or the end of ``finally``, so any statement of the body (or of
    its ``else``) may be where it was raised. An error in ``else`` itself shows its own line."""
    if line is None or not isinstance(node, ast.Try) or node.body[-1].end_lineno >= line:
        return False
    return not (node.orelse and node.orelse[0].lineno <= line <= node.orelse[-1].end_lineno)


class DefinitionCapture:
    """The student's latest qualifying binding of each graded name, and why a name failed."""

    def __init__(self, kinds):
        self.kinds = dict(kinds)  # graded name -> "function" | "class" | "value"
        self.bound = {}           # name -> the student's latest qualifying binding
        self.errors = {}          # name -> error of the cell that tried to define it
        self.before = {}

    def defined_names(self, source):
        """(def/class names, assigned names) a cell binds at top level (also inside if/try/with)."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            # The cell cannot run, but it still says what it meant to define: report those
            # names as failed ("could not run"), not as missing ("not submitted").
            defs = set(re.findall(r"^\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", source, re.M))
            assigns = set(re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", source, re.M))
            return defs & set(self.kinds), assigns & set(self.kinds)
        found = bound_names(tree)
        defs = {name for name, how in found if how == DEFINITION}
        assigns = {name for name, how in found if how == ASSIGNMENT}
        return defs & set(self.kinds), assigns & set(self.kinds)

    def qualifies(self, name, obj):
        """An assignment only counts when it binds the right kind of thing: a class for a class,
        a callable that is not a layer for a function (``corr2d = lambda X, K: ...`` counts)."""
        kind = self.kinds[name]
        if kind == "class":
            return isinstance(obj, type)
        if kind == "function":
            return callable(obj) and not isinstance(obj, nn.Module)
        return True

    def before_cell(self, info=None):
        ns = get_ipython().user_ns
        self.before = {name: ns.get(name, _MISSING) for name in self.kinds}

    def after_cell(self, result):
        ip = get_ipython()
        try:
            source = ip.transform_cell(result.info.raw_cell)
        except Exception:
            return
        defs, assigns = self.defined_names(source)
        error = result.error_in_exec or result.error_before_exec
        for name in defs | assigns:
            now = ip.user_ns.get(name, _MISSING)
            rebound = now is not _MISSING and now is not self.before.get(name, _MISSING)
            if rebound and (name in defs or self.qualifies(name, now)):
                self.bound[name] = now
                self.errors.pop(name, None)
            elif error is not None and name not in self.bound:
                self.errors[name] = without_cell_file(f"{type(error).__name__}: {error}")

    def lookup(self, name):
        if name in self.bound:
            return self.bound[name]
        ns = get_ipython().user_ns
        if name in ns and self.qualifies(name, ns[name]):
            return ns[name]  # bound some other way (exec, import from a helper module)
        raise LookupError(name)

    def missing_message(self, name):
        if name in self.errors:
            return f"the cell defining {name} failed: {self.errors[name]}"
        return f"{name} is not defined"

    def inventory(self):
        """Which graded names this notebook bound or failed to bind, and where each object came from."""
        found = {}
        for name in self.kinds:
            try:
                obj = self.lookup(name)
            except LookupError:
                if name in self.errors:
                    found[name] = InventoryEntry(state="failed", error=self.errors[name])
                continue
            found[name] = InventoryEntry(state="bound", module=str(getattr(obj, "__module__", "") or ""))
        return found

    def watch(self, events):
        events.register("pre_run_cell", self.before_cell)
        events.register("post_run_cell", self.after_cell)
