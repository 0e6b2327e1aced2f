"""What a kernel may touch: the paths it may read, the folders it may write, its limits.

The rules are an allowlist, a ``KernelPolicy`` (``kernel_side/confinement_contract.py``, the record
both sides read) handed to ``kernel_side/confinement.py`` as JSON. Anything not listed is
denied once the kernel restricts itself. Reading is allowed for the interpreter, its libraries
and the system folders they load from, the course library ``d2l/``, and the staged data. Hidden
paths (the reference solutions, the grader, the tests, ``.git``, the home folder, the real data)
are cut out of any allowed folder that contains them (a non-editable install puts ``solutions``
inside site-packages): such a folder is opened for listing only and its other entries one by one.
"""

import glob
import os
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..kernel_side.confinement_contract import KernelPolicy
from ..library_location import package_dir

SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/proc", "/sys")
# What the C library, Python, torch and matplotlib read under /etc; not /etc as a whole (shadow, ssh...).
ETC_READ = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ld.so.preload", "localtime", "timezone", "passwd",
            "group", "nsswitch.conf", "hosts", "host.conf", "gai.conf", "resolv.conf", "ssl", "ca-certificates",
            "pki", "fonts", "matplotlibrc", "mime.types", "os-release", "lsb-release", "debian_version",
            "alternatives", "locale.alias", "locale.conf", "nvidia")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
GPU_DEVICES = ("/dev/nvidia*", "/dev/nvidia-caps", "/dev/dri")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class KernelLimits:
    memory_bytes: int = 0           # address space of the kernel process; 0 = none
    max_processes: int = 256        # processes and threads the kernel may add
    max_open_files: int = 4096
    max_file_bytes: int = 2 * 2**30


def interpreter_paths():
    """The prefixes and library folders that ``python -I`` of this interpreter reads."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(Path(sys.executable).parent)}
    paths.update(v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib"))
    paths.update(p for p in sys.path if p and Path(p).is_dir() and "site-packages" in p)
    return {Path(p).resolve() for p in paths if p and Path(p).exists()}


def hidden_paths(extra=()):
    """What no kernel may read, wherever it lies."""
    hidden = {REPO / "tests", REPO / ".git", Path.home(), Path(tempfile.gettempdir())}
    for name in ("solutions", "grader"):
        location = package_dir(name)
        if location is not None:
            hidden.add(location)
    data = os.environ.get("FASHION_MNIST_DIR")
    if data:
        hidden.add(Path(data))
    hidden.update(Path(p) for p in extra)
    return {p.resolve() for p in hidden if str(p)}


def carve(allowed, hidden):
    """(read, list_only): ``allowed`` folders minus every hidden path below them.

    Landlock grants a folder with everything beneath it, so a folder that holds a hidden path is
    granted for listing only and its other entries are granted one by one, down to the hidden one.
    """
    read, list_only = [], []
    pending = sorted({Path(p) for p in allowed})
    while pending:
        path = pending.pop()
        if path in hidden:
            continue
        inside = [h for h in hidden if path in h.parents]
        if not inside:
            read.append(str(path))
            continue
        list_only.append(str(path))
        try:
            pending.extend(sorted(path.iterdir()))
        except OSError:
            pass
    return sorted(set(read)), sorted(set(list_only))


def _drop_nested(paths):
    """Keep the outermost of nested allowed folders (fewer rules, same access)."""
    kept = []
    for path in sorted({Path(p).resolve() for p in paths}, key=lambda p: len(p.parts)):
        if not any(k == path or k in path.parents for k in kept):
            kept.append(path)
    return kept


def kernel_policy(workdir, private_tmp, data_dir=None, limits=None, cgroup=None, require=False,
                  confine=True, status_file=None, hidden_extra=()):
    """The policy for one kernel: read the interpreter, ``d2l``, ``data_dir``; write ``workdir`` and ``private_tmp``."""
    limits = limits or KernelLimits()
    allowed = [*SYSTEM_READ, *(f"/etc/{name}" for name in ETC_READ), *interpreter_paths()]
    d2l = package_dir("d2l")
    if d2l is not None:
        allowed.append(d2l)
    if data_dir:
        allowed.append(data_dir)
    existing = [Path(p) for p in allowed if os.path.lexists(p)]
    read, list_only = carve(_drop_nested(existing), hidden_paths(hidden_extra))
    devices = [*DEVICES, *(p for pattern in GPU_DEVICES for p in glob.glob(pattern))]
    return KernelPolicy(read=read, list_only=list_only, read_write=[str(workdir), str(private_tmp)],
                        devices=[d for d in devices if os.path.exists(d)],
                        cgroup=str(cgroup.path) if cgroup else None, require=require, confine=confine,
                        status_file=str(status_file) if status_file else None,
                        memory_bytes=limits.memory_bytes, max_processes=limits.max_processes,
                        max_open_files=limits.max_open_files, max_file_bytes=limits.max_file_bytes)
