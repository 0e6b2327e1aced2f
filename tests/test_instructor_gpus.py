"""One training worker per GPU for ``grade-class --train``, with fake device lists (no GPU needed)."""

import subprocess
import threading

from notebook_factory import IMPORTS, write_notebook

from grader.instructor import batch
from grader.instructor.batch import BatchOptions, grade_all
from grader.instructor.discover import discover
from grader.instructor.gpus import Gpu, query_nvidia_smi, visible_gpus, worker_slots


def _smi(stdout, code=0):
    return lambda *a, **k: subprocess.CompletedProcess(a, code, stdout=stdout, stderr="")


def test_nvidia_smi_listing_is_read_and_its_absence_means_no_gpu():
    assert query_nvidia_smi(_smi("0, 81559\n1, 81559\n")) == [Gpu("0", 81559), Gpu("1", 81559)]
    assert query_nvidia_smi(_smi("", code=9)) == []

    def missing(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    assert query_nvidia_smi(missing) == []


def test_cuda_visible_devices_narrows_the_gpus_as_slurm_sets_it():
    def listed():
        return [Gpu("0", 16000), Gpu("1", 16000), Gpu("2", 80000)]

    assert visible_gpus({}, listed) == listed()
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2,0"}, listed) == [Gpu("2", 80000), Gpu("0", 16000)]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, listed) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "GPU-abc"}, lambda: []) == [Gpu("GPU-abc", 0)]


def test_one_worker_per_gpu_more_where_memory_allows_interleaved():
    slots = worker_slots([Gpu("0", 16 * 1024), Gpu("1", 8 * 1024), Gpu("2", 0)], per_student_mib=6 * 1024)
    assert [s["CUDA_VISIBLE_DEVICES"] for s in slots] == ["0", "1", "2", "0"]
    big = worker_slots([Gpu("0", 141 * 1024)], per_student_mib=6 * 1024, most_per_gpu=4)
    assert len(big) == 4 and worker_slots([]) == []


def test_each_worker_grades_with_its_own_gpu(tmp_path, monkeypatch):
    for n in range(6):
        write_notebook(tmp_path / "class" / f"s{n}.ipynb", IMPORTS, f"x = {n}")
    seen, lock = [], threading.Lock()

    def fake_grader(path, folder, options, env=None):
        with lock:
            seen.append((threading.get_ident(), env["CUDA_VISIBLE_DEVICES"]))
        return batch.ERROR, "fake", 0.0

    monkeypatch.setattr(batch, "run_grader", fake_grader)
    slots = worker_slots([Gpu("0", 12 * 1024), Gpu("1", 6 * 1024)])
    outcomes = grade_all(discover(tmp_path / "class", tmp_path / "work"), tmp_path / "out", BatchOptions(), slots=slots)
    assert len(outcomes) == 6 and len(seen) == 12                      # every student, each retried once
    by_thread = {}
    for thread, gpu in seen:
        by_thread.setdefault(thread, set()).add(gpu)
    assert all(len(gpus) == 1 for gpus in by_thread.values())          # a worker keeps its GPU
    assert {gpu for _, gpu in seen} <= {"0", "1"} and len(by_thread) <= 3
