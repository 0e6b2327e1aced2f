"""The course library stands alone: ``d2l`` runs with the grader and the references unimportable,
and ``d2l.check`` finds the grader only through the entry point the grader registers."""

import ast
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from d2l import check as d2l_check

REPO = Path(__file__).resolve().parents[1]
MODULE_PATH = re.compile(r"(grader|solutions)(\.\w+)*")

# A process where importing the grader or the references fails, as in a kernel that has only the
# course library; and an IPython whose kernel is "running", so ``import d2l`` starts its watch.
WITHOUT_GRADER = textwrap.dedent("""
    import sys, types
    from importlib.abc import MetaPathFinder

    class Refuse(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("grader", "solutions"):
                raise ImportError(f"{name} is not here")
            return None

    sys.meta_path.insert(0, Refuse())
    sys.modules["IPython"] = types.SimpleNamespace(get_ipython=lambda: object())
    import torch
    from d2l import torch as d2l
    print(d2l.corr2d(torch.ones(3, 3), torch.ones(2, 2)).tolist())
    print(repr(d2l.check("corr2d")))
    print(sorted(name.split(".")[0] for name in sys.modules if name.split(".")[0] in ("grader", "solutions")))
""")


def test_the_library_runs_and_says_so_where_the_grader_cannot_be_imported():
    ran = subprocess.run([sys.executable, "-c", WITHOUT_GRADER], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0, ran.stderr
    corr, shown, imported = ran.stdout.splitlines()
    assert corr == "[[4.0, 4.0], [4.0, 4.0]]"
    assert shown.startswith("d2l.check: the grader's checks are not available in this kernel (ImportError")
    assert "`pytest grader`" in shown
    assert imported == "[]"


def test_the_grader_is_found_by_its_registration_not_by_name(monkeypatch):
    """With no distribution registering a grader, the check cell says so - even though the
    ``grader`` package itself is importable here."""
    monkeypatch.setattr(metadata, "distributions", lambda: iter(()))
    assert repr(d2l_check.check("corr2d")) == d2l_check.NOT_INSTALLED
    d2l_check.watch()   # and importing d2l never fails because of it


def test_the_homework_package_registers_the_graders_hooks():
    from grader import notebook_check, notebook_watch

    assert d2l_check.registered("check") is notebook_check.check
    assert d2l_check.registered("watch") is notebook_watch.watch


class StaleMetadata:
    """An old build's ``*.egg-info`` of the same distribution, found first on the path."""

    entry_points = ()


def test_stale_metadata_of_the_same_distribution_does_not_hide_the_registration(monkeypatch):
    from grader import notebook_check

    real = list(metadata.distributions())
    monkeypatch.setattr(metadata, "distributions", lambda: iter([StaleMetadata(), *real]))
    assert d2l_check.registered("check") is notebook_check.check


@pytest.mark.parametrize("path", sorted((REPO / "d2l").glob("*.py")), ids=lambda p: p.name)
def test_no_library_module_names_the_grader_as_a_module(path):
    """Beyond import statements (tests/test_architecture.py): no ``import_module("grader...")``
    or ``__import__`` of a string either."""
    strings = [node.value for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    assert not [s for s in strings if MODULE_PATH.fullmatch(s)]


def test_the_module_path_detector_works():
    assert MODULE_PATH.fullmatch("grader.notebook_check") and MODULE_PATH.fullmatch("solutions")
    assert not MODULE_PATH.fullmatch("the grader's checks") and not MODULE_PATH.fullmatch("d2l.grader")
