"""Linux Landlock through ctypes: the three system calls and the access bits the kernel launcher needs.

Why ctypes and not a binding from PyPI: the launcher runs this before anything else in every
kernel, so it must import nothing beyond the standard library, and the few dozen lines here are
easier to audit than a young third-party package (the PyPI bindings date from 2025-2026 and have
one maintainer each). Constants follow ``include/uapi/linux/landlock.h``; rights that the running
kernel's ABI does not know are dropped, so the best ABI on offer is used.
"""

import ctypes
import os
import platform

# System call numbers are the same on x86_64 and aarch64 (the generic table).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights, and the ABI that introduced each.
FS = {
    "execute": (1 << 0, 1), "write_file": (1 << 1, 1), "read_file": (1 << 2, 1), "read_dir": (1 << 3, 1),
    "remove_dir": (1 << 4, 1), "remove_file": (1 << 5, 1), "make_char": (1 << 6, 1), "make_dir": (1 << 7, 1),
    "make_reg": (1 << 8, 1), "make_sock": (1 << 9, 1), "make_fifo": (1 << 10, 1), "make_block": (1 << 11, 1),
    "make_sym": (1 << 12, 1), "refer": (1 << 13, 2), "truncate": (1 << 14, 3), "ioctl_dev": (1 << 15, 5),
}
NET = {"bind_tcp": (1 << 0, 4), "connect_tcp": (1 << 1, 4)}
SCOPE = {"abstract_unix_socket": (1 << 0, 6), "signal": (1 << 1, 6)}
# Rights that may be granted on a single file rather than a directory.
FILE_RIGHTS = ("execute", "write_file", "read_file", "truncate", "ioctl_dev")

READ_ONLY = ("execute", "read_file", "read_dir")
READ_WRITE = tuple(name for name in FS if name != "make_block" and name != "make_char")
DEVICE = ("read_file", "write_file", "ioctl_dev")


class LandlockUnavailable(OSError):
    """The running kernel (or the container around it) offers no Landlock."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi_version():
    """The Landlock ABI of the running kernel; raises ``LandlockUnavailable`` with the reason."""
    if platform.system() != "Linux":
        raise LandlockUnavailable(f"Landlock is a Linux feature; this is {platform.system()}")
    if platform.machine() not in ("x86_64", "aarch64"):
        raise LandlockUnavailable(f"no Landlock system call numbers known for {platform.machine()}")
    libc = _libc()
    version = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    if version < 0:
        errno = ctypes.get_errno()
        why = {38: "the kernel is older than 5.13 or a seccomp filter blocks it (ENOSYS)",
               95: "Landlock is built in but not enabled at boot (EOPNOTSUPP; add it to lsm=)",
               1: "a seccomp filter forbids it (EPERM)"}.get(errno, os.strerror(errno))
        raise LandlockUnavailable(f"Landlock is not available: {why}")
    return version


def _mask(table, names, abi):
    return sum(bit for name, (bit, since) in table.items() if name in names and since <= abi)


class Ruleset:
    """Everything not granted by a rule is denied once ``restrict()`` runs (for this thread and all
    threads and processes it starts afterwards; call it before any thread exists)."""

    def __init__(self, abi=None, network=True, scopes=True):
        self.abi = abi or abi_version()
        self.handled_fs = _mask(FS, FS, self.abi)
        self.handled_net = _mask(NET, NET, self.abi) if network else 0
        self.scoped = _mask(SCOPE, SCOPE, self.abi) if scopes else 0
        attr = _RulesetAttr(self.handled_fs, self.handled_net, self.scoped)
        size = 24 if self.abi >= 6 else 16 if self.abi >= 4 else 8
        self.fd = _libc().syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
        if self.fd < 0:
            raise LandlockUnavailable(f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}")
        self.skipped = []   # paths that do not exist, for the status report

    def allow_path(self, path, rights):
        """Grant ``rights`` (names from ``FS``) on ``path`` and everything beneath it."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            self.skipped.append(str(path))
            return
        try:
            is_dir = os.path.isdir(f"/proc/self/fd/{fd}")
            names = rights if is_dir else [r for r in rights if r in FILE_RIGHTS]
            attr = _PathBeneathAttr(_mask(FS, names, self.abi) & self.handled_fs, fd)
            if attr.allowed_access and _libc().syscall(
                    SYS_ADD_RULE, self.fd, RULE_PATH_BENEATH, ctypes.byref(attr), 0) < 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule({path}): {os.strerror(ctypes.get_errno())}")
        finally:
            os.close(fd)

    def allow_port(self, port, rights):
        """Grant TCP ``rights`` (names from ``NET``) on one port; a no-op where the ABI has no network rules."""
        if not self.handled_net:
            return
        attr = _NetPortAttr(_mask(NET, rights, self.abi), int(port))
        if _libc().syscall(SYS_ADD_RULE, self.fd, RULE_NET_PORT, ctypes.byref(attr), 0) < 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule(port {port}): {os.strerror(ctypes.get_errno())}")

    def restrict(self):
        libc = _libc()
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(SYS_RESTRICT_SELF, self.fd, 0) < 0:
            raise OSError(ctypes.get_errno(), f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
        os.close(self.fd)

    def describe(self):
        return {"abi": self.abi, "network_rules": bool(self.handled_net), "signal_scope": bool(self.scoped)}
