"""One training worker per visible GPU (more where its memory allows) for ``grade-class --train``.

Each worker is a thread of the batch pool that keeps one slot for its life; a slot is the
environment its ``pytest grader`` subprocesses get, ``CUDA_VISIBLE_DEVICES`` naming one GPU, so
the training kernel a student's grading starts sees that GPU alone. Nothing here schedules:
the thread pool hands students to free workers, as it does without GPUs.
"""

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# A training kernel of this course (LeNet/VGG-small/ResNet-small on Fashion-MNIST, the grader's
# recipe) stays well under this; it decides how many students share one GPU.
MIB_PER_STUDENT = 6 * 1024


@dataclass(frozen=True)
class Gpu:
    ident: str          # what CUDA_VISIBLE_DEVICES names it by: an index or a UUID
    memory_mib: int     # 0 when unknown (then one student at a time)


def query_nvidia_smi(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> list[Gpu]:
    """The machine's GPUs as nvidia-smi lists them; [] where there is none (or no driver)."""
    try:
        done = run(["nvidia-smi", "--query-gpu=index,memory.total", "--format=csv,noheader,nounits"],
                   capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    found = []
    for line in done.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0].isdigit():
            found.append(Gpu(parts[0], int(float(parts[1])) if parts[1].replace(".", "").isdigit() else 0))
    return found


def visible_gpus(environ: Mapping[str, str] | None = None,
                 query: Callable[[], list[Gpu]] = query_nvidia_smi) -> list[Gpu]:
    """The GPUs this process may use: those ``CUDA_VISIBLE_DEVICES`` names (as Slurm sets it),
    with their memory where nvidia-smi knows it; otherwise every GPU nvidia-smi lists."""
    environ = os.environ if environ is None else environ
    listed = query()
    named = environ.get("CUDA_VISIBLE_DEVICES")
    if named is None:
        return listed
    memory = {gpu.ident: gpu.memory_mib for gpu in listed}
    return [Gpu(ident, memory.get(ident, 0)) for ident in (p.strip() for p in named.split(",")) if ident]


def worker_slots(gpus: Sequence[Gpu], per_student_mib: int = MIB_PER_STUDENT,
                 most_per_gpu: int = 4) -> list[dict[str, str]]:
    """One environment per worker: ``max(1, memory // per_student)`` workers per GPU (at most
    ``most_per_gpu``), GPUs interleaved so that the first workers spread over every GPU."""
    per_gpu = [max(1, min(most_per_gpu, gpu.memory_mib // per_student_mib if per_student_mib else 1))
               for gpu in gpus]
    slots: list[dict[str, str]] = []
    for round_ in range(max(per_gpu, default=0)):
        slots += [{"CUDA_VISIBLE_DEVICES": gpu.ident} for gpu, n in zip(gpus, per_gpu) if round_ < n]
    return slots
