"""Grading on a fresh machine without Fashion-MNIST (issue 18): the grader's process, never a
kernel, downloads and verifies the files before kernels start; where it cannot, the report has one
complete note saying which files are missing, where they go and which cells could not run.

The data source is a local HTTP server in a thread, serving small IDX files written here, with
the checksum table set to those files; no test reaches the network.
"""

import functools
import hashlib
import http.server
import socket
import threading

import pytest
from idx_files import write_fashion_mnist
from notebook_factory import IMPORTS, grade, write_notebook

from d2l import fashion_mnist_fetch
from grader.cell_failures import CellFailure, data_note
from grader.sandbox.cgroups import PREFIX
from grader.training.data import DataProblem

CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
          "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
          "            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()\n    return Y")
# corr2d comes after the data in the same cell: it is defined (and earns its points) only if the data loaded
LOADS_THEN_DEFINES = ("data = d2l.FashionMNIST(batch_size=8)\nX, y = next(iter(data.train_dataloader()))\n"
                      "assert X.shape == (8, 1, 28, 28) and len(data.val) > 0\n" + CORR2D)
LOADS_RESIZED = "X, y = next(iter(d2l.FashionMNIST(batch_size=4, resize=32).val_dataloader()))\nprint(X.shape)"
FILES = sorted(fashion_mnist_fetch.FILES)


class Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves a folder and remembers the paths asked for (in ``server.asked``), silently."""

    def do_GET(self):
        self.server.asked.append(self.path.lstrip("/"))
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def fresh_machine(tmp_path, monkeypatch):
    """Empty home and cache, no FASHION_MNIST_DIR: where a GitHub runner starts. Returns the cache folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv(fashion_mnist_fetch.ENV_VAR, raising=False)
    for proxy in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)   # the server is on this machine
    return home / ".cache" / "d2l-course" / "fashion-mnist"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Four small gz IDX files over HTTP on 127.0.0.1, the checksum table patched to theirs."""
    folder = tmp_path / "mirror"
    write_fashion_mnist(folder, n_train=40, n_test=20)
    table = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in FILES}
    monkeypatch.setattr(fashion_mnist_fetch, "FILES", table)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Recorder, directory=str(folder)))
    httpd.asked = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(fashion_mnist_fetch.MIRROR_VAR, f"http://127.0.0.1:{httpd.server_port}/")
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def submission(tmp_path):
    folder = tmp_path / "submission"
    write_notebook(folder / "7.2-cross-correlation.ipynb", IMPORTS, LOADS_THEN_DEFINES, LOADS_RESIZED)
    write_notebook(folder / "7.5-pooling.ipynb", IMPORTS, LOADS_RESIZED)
    return folder


def data_notes(notes):
    return [note for note in notes if "Fashion-MNIST" in note or "FashionMNIST" in note]


def test_the_grader_downloads_verifies_and_stages_the_data_before_kernels_start(tmp_path, fresh_machine, server):
    table, notes = grade(submission(tmp_path), {"corr2d"})
    assert sorted(server.asked) == FILES                    # once each, by the grader (kernels have no network)
    assert sorted(p.name for p in fresh_machine.iterdir()) == FILES
    assert all(fashion_mnist_fetch.md5(fresh_machine / name) == fashion_mnist_fetch.FILES[name] for name in FILES)
    assert data_notes(notes) == [] and not [n for n in notes if "cell" in n], notes
    points, full, statuses, _ = table["corr2d"]
    assert points == full > 0, statuses                      # the cell ran past the data to define corr2d
    _, again = grade(submission(tmp_path / "again"), set())  # the next grading finds the files in place
    assert sorted(server.asked) == FILES and data_notes(again) == []


def test_offline_without_data_one_complete_note_names_files_place_and_cells(tmp_path, fresh_machine, monkeypatch):
    monkeypatch.setenv(fashion_mnist_fetch.MIRROR_VAR, f"http://127.0.0.1:{closed_port()}/")
    table, notes = grade(submission(tmp_path), {"corr2d"})
    (note,) = data_notes(notes)
    for part in (*FILES, str(fresh_machine), "FASHION_MNIST_DIR", "download failed",
                 "the cell that defines `corr2d` and the 3rd code cell of 7.2-cross-correlation.ipynb",
                 "corr2d never got defined", "the 2nd code cell of 7.5-pooling.ipynb"):
        assert part in note, (part, note)
    assert note.endswith("then grade again.") and PREFIX not in note and "/tmp/cache/" not in note
    assert not fresh_machine.exists()                                   # no empty folder left in the cache
    assert not [n for n in notes if "cell" in n and n != note], notes    # no note per cell besides it
    points, _, _, feedback = table["corr2d"]
    assert points == 0 and not [f for f in feedback if PREFIX in f], feedback


def test_the_note_without_a_grader_side_problem_points_at_the_root_argument():
    failures = [CellFailure("7.6-lenet.ipynb", 4, "FashionMNISTNotFound (...)")]
    assert "without a root argument" in data_note(failures, None)
    problem = DataProblem(None, (), "FashionMNISTFileError: train-images-idx3-ubyte.gz is truncated")
    note = data_note(failures, problem)
    assert "is truncated" in note and "could not be used" in note and " None" not in note
    assert data_note([], problem) is None
