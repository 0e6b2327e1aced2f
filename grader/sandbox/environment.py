"""The kernel's environment: built from an allowlist, never inherited.

A CI job's tokens, cloud credentials and the grader's own settings live in its environment;
none of that may reach student code. Only what Python, torch, CUDA and the course library
read is passed on, and the folders they write to point into the kernel's own space.
"""

import os
import sys
from pathlib import Path

# Passed on when the grader has them: locale, time zone, thread counts, CUDA's libraries and devices.
PASSED_ON = (
    "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_MESSAGES", "TZ",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
    "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "CUDA_MODULE_LOADING", "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES", "PYTORCH_CUDA_ALLOC_CONF",
)
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")


def kernel_environment(workdir, private_tmp, source=None, overrides=None):
    """The whole environment of one kernel; ``overrides`` adds keys (a value of None removes one)."""
    source = os.environ if source is None else source
    env = {key: source[key] for key in PASSED_ON if key in source}
    workdir, private_tmp = Path(workdir), Path(private_tmp)
    env.update({
        "PATH": os.pathsep.join((str(Path(sys.executable).parent), *SYSTEM_PATH)),
        "HOME": str(workdir),
        "TMPDIR": str(private_tmp),
        "XDG_CACHE_HOME": str(private_tmp / "cache"),
        "XDG_CONFIG_HOME": str(private_tmp / "config"),
        "MPLCONFIGDIR": str(private_tmp / "matplotlib"),
        "IPYTHONDIR": str(private_tmp / "ipython"),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "agg",
        # the notebook's own training cells are cut short: the grader measures training itself
        "D2L_MAX_EPOCHS": "1",
        "D2L_MAX_BATCHES": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env
