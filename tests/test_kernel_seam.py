"""The kernel seam (grader/kernel_seam.py): both kinds of kernel answer the protocol checks use,
and other objects do not; sessions and training kernels are built from their parts; and the
agent's package (grader/transport.py) is installed each module after the ones it imports, with
a missing or cyclic import named. No kernel is started."""

import inspect
import sys
from types import SimpleNamespace

import pytest
from in_process import InProcessKernel
from nbformat.v4 import new_code_cell, new_notebook, new_output

from grader.execution import ExecutionLimits
from grader.items import kinds_for_kernel
from grader.kernel import KernelSession
from grader.kernel_seam import KernelChannel, KernelParts
from grader.kernel_side.dispatch import Agent
from grader.notebook_check import LABEL, InProcessChannel, LiveNotebook, NotebookSession
from grader.transport import (
    AGENT_MODULES,
    PACKAGE,
    PRINT_CAP_MODULES,
    AgentChannel,
    ModuleOrderError,
    install_code,
    install_order,
    sibling_imports,
)

LIMITS = ExecutionLimits(cell_timeout=5, total_budget=10, probe_timeout=5)


@pytest.fixture
def kernel_session():
    kernel = KernelSession(new_notebook(cells=[new_code_cell("x = 1")]), kinds_for_kernel(), LIMITS)
    yield kernel
    kernel.close()


def test_both_kernels_answer_the_seam(kernel_session):
    in_process = InProcessChannel(Agent(kinds_for_kernel()))
    wanted = inspect.signature(KernelChannel.request)
    for kernel in (kernel_session, in_process):
        assert isinstance(kernel, KernelChannel)
        assert inspect.signature(type(kernel).request).parameters == wanted.parameters
        assert kernel.replies == {}
    assert kernel_session.parts == KernelParts(kernel_session.nb, kinds_for_kernel(), LIMITS)
    assert in_process.parts is None and in_process.report is None


@pytest.mark.parametrize("wrong", [
    AgentChannel(client=None, alive=lambda: True),   # answers requests, but is no kernel: no limits, no replies
    SimpleNamespace(request=lambda request, timeout=None: None, limits=LIMITS, report=None, parts=None),   # no replies
    object(),
], ids=["agent-channel", "no-replies", "object"])
def test_other_objects_are_not_kernels(wrong):
    assert not isinstance(wrong, KernelChannel)


def test_model_replies_are_kept_by_their_own_kernel():
    first, second = InProcessChannel(Agent({})), InProcessChannel(Agent({}))
    first.replies["key"] = "report"
    assert second.replies == {} and InProcessChannel(Agent({})).replies == {}


# ---- sessions and training kernels from their parts ------------------------------------------
def test_the_check_cell_s_session_is_built_from_its_notebook_and_kernel():
    kernel = InProcessKernel("def corr2d(X, K):\n    return X")
    session = NotebookSession(kernel)
    assert session.notebooks == [LiveNotebook()] and session.kernels == {LABEL: kernel}
    assert session.inventory[LABEL]["corr2d"].state == "bound"
    assert session.locate("corr2d") == (LABEL, "corr2d")
    assert session.probe("corr2d").kernel is kernel


def test_a_training_kernel_is_built_from_the_grading_kernel_s_parts(monkeypatch, tmp_path):
    from grader.training import kernel as training_kernel

    built = {}

    class Stop(Exception):
        pass

    class Recorded:
        @classmethod
        def from_parts(cls, parts, env_overrides=None, data_dir=None):
            built.update(parts=parts, env=env_overrides, data_dir=data_dir)
            return cls()

        def start(self):
            raise Stop

        def close(self):
            built["closed"] = True

    cell = new_code_cell("x = 1", outputs=[new_output("stream", text="1\n")], execution_count=1)
    grading = KernelParts(new_notebook(cells=[cell]), kinds_for_kernel(), LIMITS)
    monkeypatch.setattr(training_kernel, "TrainingKernel", Recorded)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    with pytest.raises(Stop):
        training_kernel.train_in_kernel(grading, "LeNet", {}, tmp_path, gpu=True)
    parts = built["parts"]
    assert parts.nb.cells[0].outputs == [] and cell.outputs   # a clean copy; the grading kernel's stays
    assert parts.kinds == grading.kinds and parts.limits.memory_bytes == 0 and LIMITS.memory_bytes > 0
    assert built["env"] == {"CUDA_VISIBLE_DEVICES": "3"} and built["data_dir"] == tmp_path and built["closed"]


# ---- the agent's package: each module after the ones it imports ------------------------------
def test_the_agent_s_modules_come_after_the_modules_they_import():
    from grader.training.kernel import TRAINING_MODULES

    order = list(AGENT_MODULES)
    for position, name in enumerate(order):
        assert set(sibling_imports(AGENT_MODULES[name])) <= set(order[:position]), name
    assert order[-1] == "dispatch" and {"codec", "contract", "stand_ins", "helper_swap"} <= set(order)
    assert list(TRAINING_MODULES) == ["training_loop"]   # what it imports is the agent's, installed before
    assert set(sibling_imports(TRAINING_MODULES["training_loop"])) <= set(order)
    assert list(PRINT_CAP_MODULES) == ["print_cap"]


def test_both_kinds_of_relative_import_count():
    assert sibling_imports("from .a import x\nfrom . import b, c\nimport os\nfrom os import path\n") == ["a", "b", "c"]


def test_a_missing_module_is_named_with_its_importer():
    sources = {"entry": "from .helper import x\n", "helper": "from .gone import y\n"}
    with pytest.raises(ModuleOrderError, match=r"helper imports \.gone, which is not a module of grader/kernel_side"):
        install_order("entry", sources.get)


def test_an_import_cycle_is_named_in_order():
    sources = {"entry": "from . import a\n", "a": "from .b import x\n", "b": "from .c import y\n",
               "c": "from .a import z\n"}
    with pytest.raises(ModuleOrderError, match="in a cycle: a -> b -> c -> a"):
        install_order("entry", sources.get)


def test_installed_modules_are_not_sent_again():
    sources = {"entry": "from .base import x\n", "base": "x = 1\n"}
    assert list(install_order("entry", sources.get)) == ["base", "entry"]
    assert list(install_order("entry", sources.get, installed={"base"})) == ["entry"]


def test_install_code_hands_over_the_package_and_literals_only():
    package = "__seam_test_package__"
    code = install_code(package, {"op": "def install(*args):\n    return args\n"}, "op", "answer",
                        PACKAGE, 3, {"kind": "class"})
    try:
        exec(code, {})
        installed = sys.modules[package]
        assert installed.answer == (installed, 3, {"kind": "class"})
    finally:
        sys.modules.pop(package, None)
        sys.modules.pop(f"{package}.op", None)
    with pytest.raises(TypeError, match="literals only"):
        install_code(package, {}, "op", "answer", object())
