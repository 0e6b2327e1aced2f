"""The code's shape: small modules in grader/, d2l/ and solutions/, no import cycles, no import
from a lower package up to a higher one (the course library stands alone), no private import from
another module (ruff's SLF001 covers private attributes, nbclient's included); and its
documentation: docs/architecture.md's tables name every module, tests/README.md every test file,
and what the pages link to or name as a path exists (read from the source, no kernels)."""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / "grader"
MAX_LINES = 300
DOCS = REPO / "docs"
# Modules docs/architecture.md's tables must name: every .py of grader/ and d2l/ but the package markers.
MODULES = sorted(p for tree in (GRADER, REPO / "d2l") for p in tree.rglob("*.py")
                 if p.name != "__init__.py" and "__pycache__" not in p.parts)
PAGES = sorted([REPO / "README.md", REPO / "tests" / "README.md", *DOCS.glob("*.md")])


def module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Each package may import only from the packages before it: the course library is what students
# import from the book's first line, the references use it, and the grader uses both.
LAYERS = ("d2l", "solutions", "grader")


def imports_of(path):
    """Our modules that importing ``path`` imports, anywhere in it (an import inside a function
    counts: it runs too), parent packages included (Python runs a package's __init__ before any
    module in it)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target.split(".")[0] not in LAYERS:
                continue
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in KNOWN and candidate != name:
                    found.add(candidate)
    return found


ALL = sorted(p for package in LAYERS for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts)
KNOWN = {module_name(p) for p in ALL}


def test_no_import_cycles():
    cycles = find_cycles({module_name(p): imports_of(p) for p in ALL})
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def upward_imports(graph):
    """(module, imported module) pairs where a package imports from one above it in ``LAYERS``."""
    def layer(name):
        return LAYERS.index(name.split(".")[0])
    return sorted((module, target) for module, targets in graph.items() for target in targets
                  if layer(target) > layer(module))


def test_no_package_imports_from_one_above_it():
    upward = upward_imports({module_name(p): imports_of(p) for p in ALL})
    assert not upward, "imports up the layers d2l < solutions < grader: " + "; ".join(" -> ".join(u) for u in upward)


def find_cycles(graph):
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if target == node.rpartition(".")[0] and node.rpartition(".")[0]:
                continue  # a package's own module importing it back through the package: not a cycle by itself
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(REPO)))
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)} has {lines} lines; split it by job"


# Packages whose privates are off limits.
OWN = ("grader", "d2l", "solutions", "nbclient", "jupyter_client", "nbformat")


def private_imports(path):
    """``from module import _name`` of our packages and the Jupyter ones. Attribute uses
    (``client._x``, ``probe._secret``) are ruff's SLF001, run by ``make lint``; ruff does not look at
    imports from inside one's own package, which this does."""
    tree = ast.parse(path.read_text())
    return [f"from {node.module} import {alias.name}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in OWN)
            for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]


def test_no_private_api_of_another_module():
    found = {str(p.relative_to(REPO)): private_imports(p) for p in ALL}
    assert not {k: v for k, v in found.items() if v}


def table_rows(text):
    return "\n".join(line for line in text.splitlines() if line.lstrip().startswith("|"))


def test_the_architecture_tables_name_every_module():
    rows = table_rows((DOCS / "architecture.md").read_text())
    missing = [str(p.relative_to(REPO)) for p in MODULES if f"`{p.relative_to(REPO)}`" not in rows]
    assert not missing, f"docs/architecture.md's tables do not name: {missing}"


PATH_NAMED = re.compile(r"`((?:\.github|assignment|benchmarks|d2l|docs|grader|solutions|tests)/[\w./-]*)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_what_a_page_names_as_a_path_or_links_to_exists(page):
    text = page.read_text()
    named = [m for m in PATH_NAMED.findall(text) if not (REPO / m).exists()]
    links = [m for m in LINK.findall(text) if not re.match(r"[a-z]+:|#", m)
             and not (page.parent / m.split("#")[0]).exists()]
    assert not named + links, f"{page.relative_to(REPO)} names what is not there: {named + links}"


def test_the_detectors_find_a_missing_module_path_and_link():
    assert "`grader/nowhere.py`" in table_rows("| step | `grader/nowhere.py` |\ntext `grader/elsewhere.py`")
    assert "`grader/elsewhere.py`" not in table_rows("| step |\ntext `grader/elsewhere.py`")
    assert PATH_NAMED.findall("`grader/stored/*.json` and `grader/x.py`") == ["grader/x.py"]
    assert LINK.findall("[a](docs/a.md) ![b](b.png) [c](https://x.org/y)") == ["docs/a.md", "b.png", "https://x.org/y"]


def test_the_tests_map_names_every_test_file():
    tests = Path(__file__).parent
    text = (tests / "README.md").read_text()
    missing = [p.name for p in sorted(tests.glob("*.py")) if f"`{p.name}`" not in text]
    assert not missing, f"tests/README.md does not say where these belong: {missing}"


def test_the_detectors_work_on_a_cycle_and_a_private_call(tmp_path):
    """The checks above can fail: they find a planted private use."""
    planted = tmp_path / "planted.py"
    planted.write_text("import grader.probe as probe\nfrom grader.kernel import _x\nfrom . import _y, __all__\n")
    assert private_imports(planted) == ["from grader.kernel import _x", "from None import _y"]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert imports_of(GRADER / "checks" / "trained_accuracy.py") >= {"grader.training", "grader.training.trusted"}
    assert upward_imports({"d2l.check": {"grader.notebook_check", "d2l"}, "grader.x": {"d2l"}}) == [
        ("d2l.check", "grader.notebook_check")]
