"""Attacks on the grader gain nothing and do not stop it; broken notebooks are graded fairly."""

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from notebook_factory import IMPORTS, QUICK, grade, write_notebook

from grader.items import kinds_for_kernel
from grader.kernel import KernelSession

REPO = Path(__file__).resolve().parents[1]

HONEST_1X1 = '''
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    return torch.matmul(K.reshape(c_o, c_i), X.reshape(c_i, h * w)).reshape(c_o, h, w)
'''


def test_attacks_inside_graded_functions_gain_nothing(tmp_path):
    nb = write_notebook(
        tmp_path / "hw.ipynb", IMPORTS,
        # a tensor subclass that claims equality with anything
        "class Liar(torch.Tensor):\n    def __eq__(self, other): return True\n"
        "def corr2d(X, K):\n    return torch.zeros(1).as_subclass(Liar)",
        "import sys\ndef pool2d(X, pool_size, mode='max'):\n    sys.exit('bye')",
        "import os\ndef corr2d_multi_in(X, K):\n    os._exit(0)",
        "def corr2d_multi_in_out(X, K):\n    while True:\n        pass",
        # rewrite torch and builtins in the kernel, then return garbage
        "import builtins\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
        "builtins.isinstance = lambda *a: True\n"
        "def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):\n    return object()",
        HONEST_1X1,
    )
    table, _ = grade(nb, {"corr2d", "pool2d", "corr2d_multi_in", "corr2d_multi_in_out", "conv_output_shape",
                          "corr2d_multi_in_out_1x1"})
    for item in ("corr2d", "pool2d", "corr2d_multi_in", "corr2d_multi_in_out", "conv_output_shape"):
        assert table[item][0] == 0, (item, table[item])
    assert "kernel died" in table["corr2d_multi_in"][2]
    assert "timed out" in table["corr2d_multi_in_out"][2]
    assert any("tensor subclass" in f for f in table["corr2d"][3])
    assert any("SystemExit" in f for f in table["pool2d"][3])
    points, full, statuses, _ = table["corr2d_multi_in_out_1x1"]
    assert points == full and set(statuses) == {"passed"}, statuses


def test_cell_level_attacks_do_not_stop_grading(tmp_path):
    nb = write_notebook(
        tmp_path / "hw.ipynb", IMPORTS,
        "import sys\nsys.exit(0)",
        "big = torch.empty(4 * 2**30, dtype=torch.float32)  # 16 GiB: over the kernel's cap",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        "import os\nos._exit(3)",
        HONEST_1X1,
    )
    table, notes = grade(nb, {"corr2d_multi_in_out_1x1"})
    points, full, statuses, _ = table["corr2d_multi_in_out_1x1"]
    assert points == full, statuses
    assert any("re-run without" in n for n in notes), notes
    assert any("timeout" in n for n in notes) and any("Error" in n for n in notes), notes


def test_broken_layout_is_graded_item_by_item(tmp_path):
    nb = write_notebook(
        tmp_path / "hw.ipynb",
        "!pip install d2l==1.0.3\n" + IMPORTS + "\n%pip install torchvision\npip install numpy",
        "def corr2d(X, K)\n    return X",   # syntax error
        "def pool2d(X, pool_size, mode='max'):\n    p_h, p_w = pool_size\n"
        "    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))\n"
        "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
        "            window = X[i: i + p_h, j: j + p_w]\n"
        "            Y[i, j] = window.max() if mode == 'max' else window.mean()\n    return Y",
        "pool2d = nn.MaxPool2d(3)  # the book rebinds the name",
        HONEST_1X1,
    )
    table, notes = grade(nb, {"corr2d", "pool2d", "corr2d_multi_in", "corr2d_multi_in_out_1x1"})
    assert table["corr2d"][0] == 0 and set(table["corr2d"][2]) == {"could not run"}
    assert any("SyntaxError" in f for f in table["corr2d"][3])
    assert table["pool2d"][0] == table["pool2d"][1] > 0
    assert set(table["corr2d_multi_in"][2]) == {"not submitted"}
    assert sum(1 for n in notes if "skipped" in n) == 3, notes


def test_course_library_function_is_not_the_students_own(tmp_path):
    nb = write_notebook(tmp_path / "hw.ipynb", IMPORTS, "corr2d = d2l.corr2d")
    table, _ = grade(nb, {"corr2d"})
    assert table["corr2d"][0] == 0 and set(table["corr2d"][2]) == {"not your own code"}


def test_kernel_cannot_import_the_grader_or_the_solutions(tmp_path):
    nb_path = write_notebook(tmp_path / "hw.ipynb", "import solutions", "import grader.oracles", "import d2l.torch")
    import nbformat

    kernel = KernelSession(nbformat.read(str(nb_path), as_version=4), kinds_for_kernel(), QUICK)
    try:
        kernel.start()
        report = kernel.run_notebook()
    finally:
        kernel.close()
    statuses = [(c.status, c.error) for c in report.cells]
    assert statuses[0][0] == statuses[1][0] == "error" and "ModuleNotFoundError" in statuses[0][1]
    assert statuses[2][0] == "ok"


def test_command_line_writes_results_even_when_the_notebook_forges_them(tmp_path):
    results = tmp_path / "results.json"
    nb = write_notebook(
        tmp_path / "sub" / "hw.ipynb", IMPORTS,
        f"import json\njson.dump({{'score': 1000, 'max_score': 1, 'tests': []}}, open({str(results)!r}, 'w'))",
        "def corr2d(X, K):\n    return X[:1, :1]",
    )
    run = subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(nb.parent), "--results",
                          str(results), "-k", "corr2d and not multi", "-p", "no:cacheprovider", "--cell-timeout", "20"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:]
    payload = json.loads(results.read_text())
    # "-k corr2d" also selects checks whose titles mention corr2d (Conv2D's forward check)
    graded = {t["name"].split(":")[0] for t in payload["tests"]}
    assert "7.2 corr2d" in graded and graded <= {"7.2 corr2d", "7.2 Conv2D"}
    exact_total = sum(Fraction(t["extra_data"]["max_points"]) for t in payload["tests"])
    assert payload["score"] == 0 and payload["max_score"] == exact_total >= 4
    assert all({"name", "score", "max_score", "status", "output", "visibility"} <= set(t) for t in payload["tests"])
    assert "corr2d" in run.stdout and "total" in run.stdout and "0.00 / 4.00" in run.stdout


def test_results_file_is_written_when_grading_cannot_start(tmp_path):
    results = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(tmp_path / "missing"),
                          "--results", str(results), "-p", "no:cacheprovider"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    payload = json.loads(results.read_text())
    assert payload["score"] == 0 and "does not exist" in payload["output"]


def test_grading_is_deterministic(tmp_path):
    """Two gradings of a wrong answer give the same points and the same shrunk counterexamples."""
    nb = write_notebook(tmp_path / "hw.ipynb", IMPORTS,
                        "def pool2d(X, pool_size, mode='max'):\n    return torch.nn.functional.max_pool2d("
                        "X[None, None], pool_size, stride=1)[0, 0] + (X.shape[0] > 3)")
    table, _ = grade(nb, {"pool2d"})
    points, full, statuses, feedback = table["pool2d"]
    assert 0 < points < full and any("Smallest failing input" in text for text in feedback)
    assert grade(nb, {"pool2d"})[0] == table


def test_a_notebook_that_passes_only_for_some_random_draws_gets_one_verdict(tmp_path):
    """Kernels start from the same random state, so a notebook's own random assertion (the book's
    7.4 compares two results of random inputs to 1e-6) holds or fails alike on every grading."""
    draws = "DRAWN = torch.rand(4).tolist()\ndef corr2d(X, K):\n    return torch.full((1, 1), DRAWN[0])"
    nb = write_notebook(tmp_path / "hw.ipynb", IMPORTS, draws)
    first, second = grade(nb, {"corr2d"})[0]["corr2d"][3], grade(nb, {"corr2d"})[0]["corr2d"][3]
    assert first == second and any("0.49625" in text for text in first), first   # torch.manual_seed(0)'s first draw


def test_references_are_loaded_before_any_student_cell_runs(tmp_path, monkeypatch):
    """Kernels run as the grader's user and could rewrite solutions/ on disk; what counts is
    what the grader read before the first student cell ran."""
    import grader.session as session_module
    from grader.items import ITEMS
    from solutions.fill import reference_definitions

    seen = {}

    def spy(self):
        seen["cached"] = reference_definitions.cache_info().currsize
        seen["modules"] = all(f"solutions.{item.module}" in sys.modules for item in ITEMS.values())
        raise RuntimeError("stop here")

    reference_definitions.cache_clear()
    monkeypatch.setattr(KernelSession, "run_notebook", spy)
    nb = write_notebook(tmp_path / "hw.ipynb", IMPORTS)
    session = session_module.GradingSession(nb, QUICK)
    try:
        session.start()
    finally:
        session.close()
    assert seen == {"cached": 1, "modules": True}
    assert "could not be executed" in session.notebooks[0].problem
