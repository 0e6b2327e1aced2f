"""A seccomp filter for the kernel's sockets: TCP over IPv4/IPv6 only (and the read-only
NETLINK_ROUTE socket that lists network interfaces), and no io_uring.

Landlock's network rules cover TCP bind and connect, but not UDP, raw or netlink sockets, nor
``connect`` to a Unix socket file such as ``/var/run/docker.sock``. The kernel needs none of
those: it talks to the grader over TCP on loopback, and ``socketpair`` (asyncio's wake-up pipe)
stays allowed. io_uring is refused because its socket operations would bypass this filter.
"""

import ctypes
import platform

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
EACCES = 13
LD_W_ABS, JEQ_K, JGE_K, AND_K, RET_K = 0x20, 0x15, 0x35, 0x54, 0x06
AF_INET, AF_INET6, SOCK_STREAM, SOCK_TYPE_MASK, IPPROTO_TCP = 2, 10, 1, 0xF, 6
AF_NETLINK, NETLINK_ROUTE = 16, 0   # listing the machine's interfaces (zmq and jupyter_client do)
X32_BIT = 0x40000000

# arch -> (AUDIT_ARCH value, socket, io_uring_setup, io_uring_enter, io_uring_register)
ARCHES = {"x86_64": (0xC000003E, 41, 425, 426, 427), "aarch64": (0xC00000B7, 198, 425, 426, 427)}
OFFSET_NR, OFFSET_ARCH = 0, 4


def _arg(index):
    return 16 + 8 * index   # low 32 bits of args[index] (little-endian)


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Instruction))]


def program(machine=None):
    """The filter as (code, jt, jf, k) tuples; jumps are relative, resolved from labels below."""
    arch, socket_nr, *uring = ARCHES[machine or platform.machine()]
    deny = ("ret", RET_ERRNO | EACCES)
    code = [
        (LD_W_ABS, "", "", OFFSET_ARCH), (JEQ_K, "", "DENY", arch),
        (LD_W_ABS, "", "", OFFSET_NR), (JGE_K, "DENY", "", X32_BIT),
        *[(JEQ_K, "DENY", "", nr) for nr in uring],
        (JEQ_K, "", "ALLOW", socket_nr),
        (LD_W_ABS, "", "", _arg(0)), (JEQ_K, "TYPE", "", AF_INET), (JEQ_K, "TYPE", "", AF_INET6),
        (JEQ_K, "", "DENY", AF_NETLINK),
        (LD_W_ABS, "", "", _arg(2)), (JEQ_K, "ALLOW", "DENY", NETLINK_ROUTE),
        ("TYPE", LD_W_ABS, "", "", _arg(1)), (AND_K, "", "", SOCK_TYPE_MASK), (JEQ_K, "", "DENY", SOCK_STREAM),
        (LD_W_ABS, "", "", _arg(2)), (JEQ_K, "ALLOW", "", 0), (JEQ_K, "ALLOW", "DENY", IPPROTO_TCP),
        ("ALLOW", RET_K, "", "", RET_ALLOW),
        ("DENY", RET_K, "", "", deny[1]),
    ]
    labels, rows = {}, []
    for row in code:
        if isinstance(row[0], str):
            labels[row[0]] = len(rows)
            row = row[1:]
        rows.append(row)

    def offset(at, target):
        return 0 if target == "" else labels[target] - at - 1

    return [(op, offset(at, jt), offset(at, jf), k) for at, (op, jt, jf, k) in enumerate(rows)]


def install():
    """Load the filter for this thread and everything it starts (needs no_new_privs, set by Landlock's
    caller or here)."""
    rows = program()
    instructions = (_Instruction * len(rows))(*[_Instruction(*row) for row in rows])
    prog = _Program(len(rows), instructions)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)   # PR_SET_NO_NEW_PRIVS
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
