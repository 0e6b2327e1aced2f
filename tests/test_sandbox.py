"""Attacks from inside a real kernel: what student code can read, reach, start, print and inherit.

Each test runs the attack as notebook cells in a ``KernelSession`` (the grader's own kernel
launcher, policy and caps) and checks what the attack got. Where Landlock is missing, the tests
that need it skip and say why.
"""

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from idx_files import write_fashion_mnist
from nbformat.v4 import new_code_cell, new_notebook

from grader.items import kinds_for_kernel
from grader.kernel import ExecutionLimits, KernelSession
from grader.sandbox import sandbox_support
from grader.training.data import kernel_copy
from grader.training.kernel import TrainingKernel

REPO = Path(__file__).resolve().parents[1]
LIMITS = ExecutionLimits(cell_timeout=30, total_budget=180, probe_timeout=10, max_processes=64)
available, why_not = sandbox_support()
needs_landlock = pytest.mark.skipif(not available, reason=f"no sandbox on this machine: {why_not}")


@contextmanager
def kernel_running(*cells, kernel_class=KernelSession, limits=LIMITS, **kwargs):
    """Run ``cells`` in a fresh grading kernel; yield (kernel, the text each cell showed)."""
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    kernel = kernel_class(nb, kinds_for_kernel(), limits, **kwargs)
    try:
        kernel.start()
        kernel.run_notebook()
        yield kernel, [_shown(cell) for cell in nb.cells]
    finally:
        kernel.close()


def _shown(cell):
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.extend(str(v) for v in (output.get("data") or {}).values())
        parts.extend([output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])])
    return "".join(parts)


def _try_read(path):
    return (f"import os\ntry:\n    print('READ', repr(open({str(path)!r}, 'rb').read(40)))\n"
            f"except Exception as e:\n    print('DENIED', {str(path)!r}, type(e).__name__)\n")


@needs_landlock
def test_reference_solutions_and_grader_files_cannot_be_read():
    secret = (REPO / "solutions" / "sec7_2_cross_correlation.py").read_text()
    reference_line = next(line for line in secret.splitlines() if line.startswith("def "))
    targets = [REPO / "solutions" / "sec7_2_cross_correlation.py", REPO / "grader" / "items.py",
               REPO / "tests" / "mutants.py", REPO / ".git" / "HEAD", Path.home() / ".bashrc", Path("/etc/shadow")]
    attack = ("from d2l import torch as d2l\nfrom pathlib import Path\n"
              "root = Path(d2l.__file__).resolve().parents[1]\n"
              "print((root / 'solutions' / 'sec7_2_cross_correlation.py').read_text())")
    listing = "import os\nprint(os.listdir(Path(d2l.__file__).resolve().parents[1]))"
    with kernel_running(attack, listing, *[_try_read(t) for t in targets]) as (kernel, shown):
        assert kernel.sandbox_status.confined, kernel.sandbox_status
        assert "PermissionError" in shown[0] and reference_line not in shown[0]
        assert "PermissionError" in shown[1]
        for target, text in zip(targets, shown[2:]):
            if target.exists():
                assert text.startswith("DENIED"), (target, text)
        assert not any(reference_line in text for text in shown)


@needs_landlock
def test_the_course_library_and_torch_still_work_inside():
    cells = ("import torch, matplotlib.pyplot as plt, torchinfo, tqdm  # the grading extra (pyproject.toml)\n"
             "from d2l import torch as d2l\n"
             "plt.plot([1, 2]); plt.savefig('plot.png'); print(torch.ones(2, 2).sum().item())",
             "import tempfile, pathlib\np = pathlib.Path(tempfile.mkdtemp()) / 'x.txt'\np.write_text('ok')\n"
             "print(p.read_text(), pathlib.Path('plot.png').exists())")
    with kernel_running(*cells) as (_, shown):
        assert shown[0].strip() == "4.0", shown[0]
        assert shown[1].strip() == "ok True", shown[1]


@needs_landlock
def test_training_kernel_sees_the_staged_copy_but_not_the_real_test_split(tmp_path, monkeypatch):
    real = tmp_path / "real"
    write_fashion_mnist(real, n_train=60, n_test=20)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(real))
    staged = kernel_copy(real, val_size=10, cache=tmp_path / "staged")
    cells = (_try_read(real / "t10k-images-idx3-ubyte.gz"), _try_read(staged / "t10k-labels-idx1-ubyte"),
             "from d2l import torch as d2l\ndata = d2l.FashionMNIST(batch_size=8)\n"
             "print(len(data.train), len(data.val))")
    with kernel_running(*cells, kernel_class=TrainingKernel, data_dir=staged) as (_, shown):
        assert shown[0].startswith("DENIED"), shown[0]
        assert shown[1].startswith("READ"), shown[1]
        assert shown[2].split() == ["50", "10"], shown[2]


@pytest.fixture
def tcp_server():
    """A listener on loopback that counts the connections it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@needs_landlock
def test_network_connections_are_refused(tcp_server):
    port, accepted = tcp_server
    cells = (f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=5)",
             "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
             "import socket\nsocket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
             "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()")
    with kernel_running(*cells) as (kernel, shown):
        if kernel.sandbox_status.network_rules:
            assert "PermissionError" in shown[0], shown[0]
            assert "PermissionError" in shown[3], shown[3]
        if kernel.sandbox_status.socket_filter == kernel.sandbox_status.INSTALLED:
            assert "PermissionError" in shown[1] and "PermissionError" in shown[2], shown[1:3]
    assert accepted == []


DAEMON = """import os, time
first = os.fork()
if first == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)
    os._exit(0)
os.waitpid(first, 0)
time.sleep(0.3)
"""


def _marked(mark):
    """Live processes whose environment carries ``mark`` (the kernel's, and all it started)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
                environ = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if f"GRADER_TEST_MARK={mark}".encode() in environ:
                found.append(int(entry))
    return found


@needs_landlock
def test_a_setsid_daemon_does_not_outlive_its_grading():
    mark = f"{os.getpid()}-{time.monotonic_ns()}"
    with kernel_running(DAEMON, env_overrides={"GRADER_TEST_MARK": mark}):
        assert len(_marked(mark)) >= 3, _marked(mark)   # supervisor, kernel, daemon
    deadline = time.monotonic() + 5
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _marked(mark) == []


FORK_LOOP = """import os, time
children = []
try:
    for _ in range(5000):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
except OSError as error:
    print('stopped after', len(children), type(error).__name__)
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
"""

FORK_BOMB = """import os, time
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
time.sleep(2)
"""


@needs_landlock
def test_a_fork_loop_is_capped_and_the_kernel_goes_on():
    with kernel_running(FORK_LOOP, "print('still here')") as (kernel, shown):
        how = kernel.sandbox_status.processes
        if "watched" in how or "not capped" in how:
            pytest.skip(f"no hard process cap here: {how}")
        assert "stopped after" in shown[0], shown[0]
        assert int(shown[0].split()[2]) <= LIMITS.max_processes, shown[0]
        assert shown[1].strip() == "still here"


@needs_landlock
def test_a_fork_bomb_stays_inside_its_kernel_and_dies_with_it():
    import subprocess

    mark = f"bomb-{os.getpid()}-{time.monotonic_ns()}"
    with kernel_running(FORK_BOMB, env_overrides={"GRADER_TEST_MARK": mark}) as (kernel, _):
        how = kernel.sandbox_status.processes
        if "watched" in how or "not capped" in how:
            pytest.skip(f"no hard process cap here: {how}")
        assert subprocess.run(["true"]).returncode == 0   # the grader's machine can still start processes
        assert LIMITS.max_processes // 2 < len(_marked(mark)) <= LIMITS.max_processes + 1   # + the supervisor
    deadline = time.monotonic() + 5
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _marked(mark) == []
    with kernel_running("print('next student')") as (_, shown):
        assert shown[0].strip() == "next student"


def test_printing_200_mb_is_cut():
    cells = ("print('x' * 200_000_000)", "print('after')")
    with kernel_running(*cells) as (kernel, shown):
        cap = LIMITS.output.cell_bytes
        assert len(shown[0]) < cap + 500, len(shown[0])
        assert "of output were cut" in shown[0]
        assert kernel.report.cells[0].cut_bytes >= 200_000_000 - cap
        assert shown[1].strip() == "after"


def test_output_that_bypasses_the_kernels_print_cap_is_still_cut_by_the_grader():
    cells = ("import sys\nsys.stdout = sys.stdout._stream  # undo the kernel-side cap\nprint('y' * 5_000_000)",)
    with kernel_running(*cells) as (kernel, shown):
        assert len(shown[0]) < LIMITS.output.cell_bytes + 500
        assert "bytes of output were cut here" in shown[0]
        assert kernel.report.cells[0].cut_bytes >= 5_000_000 - LIMITS.output.cell_bytes


def test_the_graders_environment_is_not_inherited(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not-for-students")
    monkeypatch.setenv("GRADER_SECRET", "not-for-students-either")
    cells = ("import os\nprint(sorted(os.environ.items()))",
             f"print(open('/proc/{os.getpid()}/environ', 'rb').read())")
    with kernel_running(*cells) as (kernel, shown):
        assert "not-for-students" not in shown[0] and "ghs_" not in shown[0]
        assert f"'HOME', '{kernel.workdir}'" in shown[0]
        if available:
            assert "not-for-students" not in shown[1] and "PermissionError" in shown[1], shown[1]


@needs_landlock
def test_one_kernel_cannot_read_another_kernels_folder():
    with kernel_running("open('answers.txt', 'w').write('mine')") as (first, _):
        with kernel_running(_try_read(first.workdir / "answers.txt")) as (_, shown):
            assert shown[0].startswith("DENIED"), shown[0]


@needs_landlock
def test_the_supervisor_cannot_be_signalled_and_root_has_no_capabilities():
    cells = ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
             "print([l for l in open('/proc/self/status') if l.startswith('CapEff')])")
    with kernel_running(*cells) as (kernel, shown):
        if kernel.sandbox_status.signal_scope:
            assert "PermissionError" in shown[0], shown[0]
        if os.geteuid() == 0:
            assert "0000000000000000" in shown[1], shown[1]
        assert kernel.alive()


def test_without_landlock_grading_goes_on_marked_not_sandboxed_and_require_refuses(tmp_path, monkeypatch):
    from dataclasses import replace

    from notebook_factory import IMPORTS, QUICK, grade, write_notebook

    from grader.instructor.results import parse
    from grader.kernel_side import landlock
    from grader.record import GradingRecord
    from grader.report import gradescope_json
    from grader.sandbox import SandboxUnavailable
    from grader.session import GradingSession

    def missing():
        raise landlock.LandlockUnavailable("Landlock is not available: pretend old kernel")

    monkeypatch.setattr(landlock, "abi_version", missing)
    sandbox_support.cache_clear()
    try:
        nb = write_notebook(tmp_path / "hw.ipynb", IMPORTS,
                            "def corr2d(X, K):\n    return d2l.corr2d(X, K) * 1")
        with pytest.raises(SandboxUnavailable, match="pretend old kernel"):
            GradingSession(nb, replace(QUICK, require_sandbox=True)).start()
        table, notes = grade(nb, {"corr2d"})
        assert any(note.startswith("not sandboxed: Landlock is not available: pretend old kernel") for note in notes)
        assert "corr2d" in table
        payload = gradescope_json(GradingRecord([], sandbox="not sandboxed: pretend old kernel"))
        assert payload["extra_data"]["sandbox"] == "not sandboxed: pretend old kernel"
        assert parse(payload).sandbox == "not sandboxed: pretend old kernel"  # the record carries it too
    finally:
        sandbox_support.cache_clear()


SNOOPING_CONV2D = '''class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        import gc
        def carried(o):   # whatever the grader's request carries besides names
            try:
                return o.get("helpers") if isinstance(o, dict) else getattr(o, "helpers", None)
            except Exception:
                return None
        found = {repr(h) for h in map(carried, gc.get_objects())
                 if isinstance(h, list) and h and all(isinstance(v, str) for v in h)}
        raise ValueError(" ".join(sorted(found)) or "nothing carried")'''


def test_a_failing_helper_brings_no_reference_code_into_the_kernel(tmp_path):
    """This student's own corr2d fails, so Conv2D is checked again with the book's corr2d in the
    kernel; their Conv2D digs through the request for what came with it: a name, never code."""
    from notebook_factory import IMPORTS, grade, write_notebook

    nb = write_notebook(tmp_path / "hw.ipynb", IMPORTS, "def corr2d(X, K):\n    return X", SNOOPING_CONV2D)
    table, _ = grade(nb, {"Conv2D"})
    feedback = "\n".join(table["Conv2D"][3])
    assert table["Conv2D"][0] == 0
    assert "['corr2d']" in feedback and ".sum()" not in feedback
