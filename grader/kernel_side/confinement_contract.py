"""What the grader's fence and the kernel's confinement say to each other: the policy in, the status out.

The grader writes a ``KernelPolicy`` before the kernel starts (``grader/sandbox/policy.py``);
``confinement.py`` applies it in the kernel and writes a ``SandboxStatus`` before any student code
runs, which the grader reads back (``grader/sandbox/fence.py``). Both records are defined here,
once, for both sides: the kernel cannot import the grader, so ``boot.py`` loads this file by name
like its other siblings. It needs the standard library only, unlike ``contract.py``'s torch: it is
loaded before the kernel is confined, when nothing heavy should have run yet.
"""

import json
import types
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

NOT_HELD = ("", "not capped", "could not be dropped")   # a limit's words when it did not hold


@dataclass
class KernelPolicy:
    """The whole of one kernel's view of the machine (paths by right), and its limits (0: none)."""

    read: list[str] = field(default_factory=list)
    list_only: list[str] = field(default_factory=list)
    read_write: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    cgroup: str | None = None          # the pids cgroup the kernel joins, where the grader made one
    require: bool = False              # exit before any student code when confinement fails
    confine: bool = True               # False where the grader knows Landlock is missing
    status_file: str | None = None     # where the kernel writes its ``SandboxStatus``
    memory_bytes: int = 0
    max_processes: int = 0
    max_open_files: int = 0
    max_file_bytes: int = 0

    def write(self, path: str | Path) -> Path:
        Path(path).write_text(json.dumps(asdict(self)))
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "KernelPolicy":
        """The policy the grader wrote; ``ValueError`` for anything else, so the kernel never starts
        on rules it misread."""
        return parsed(cls, json.loads(Path(path).read_text()))


@dataclass
class SandboxStatus:
    """What the kernel applied to itself, limits in words ("at most 4096"; "" where not tried).

    Written before any student code, through a descriptor student code cannot reopen; a kernel
    that wrote none, or nothing readable, counts as not confined (``load``)."""

    INSTALLED: typing.ClassVar[str] = "installed"   # the socket filter's words when it was
    confined: bool = False
    reason: str = ""                   # why not confined
    kernel_pid: int = 0
    supervised: bool = False           # a supervisor process kills everything the kernel started
    processes: str = ""
    processes_cgroup_error: str = ""   # why the pids cgroup could not be joined, when it could not
    open_files: str = ""
    capabilities: str = ""             # "dropped" | "could not be dropped"; "" when not root
    socket_filter: str = ""            # INSTALLED, or "not installed: <why>"
    abi: int = 0                       # Landlock's, and what it could enforce:
    network_rules: bool = False
    signal_scope: bool = False
    not_applied: list[str] = field(default_factory=list)   # steps that failed on this platform

    @property
    def unconfined_reason(self) -> str | None:
        """None when confined; else why not, never empty, since every report names a reason."""
        return None if self.confined else self.reason or "unknown"

    def limits_held(self) -> set[str]:
        """The limits that held in this kernel, in words for the grading record."""
        held = {"Landlock file and network rules"} if self.confined else set()
        if self.socket_filter == self.INSTALLED:
            held.add("socket filter")
        for name in ("processes", "open_files", "capabilities"):
            if getattr(self, name) not in NOT_HELD:
                held.add(f"{name.replace('_', ' ')}: {getattr(self, name)}")
        return held

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, path: str | Path, fallback_reason: str | None = None) -> "SandboxStatus":
        """The status the kernel wrote at ``path``; where none can be read, an unconfined one that
        says why. ``fallback_reason`` (the grader's own, when it did not ask for confinement) is
        the reason of any status that is not confined."""
        try:
            status = parsed(cls, json.loads(Path(path).read_text()))
        except OSError:
            status = cls(reason="the kernel wrote no sandbox status")
        except ValueError as error:
            status = cls(reason=f"the kernel's sandbox status could not be read: {error}")
        return replace(status, reason=fallback_reason) if fallback_reason and not status.confined else status


Parsed = typing.TypeVar("Parsed", KernelPolicy, SandboxStatus)


def parsed(cls: type[Parsed], data: object) -> Parsed:
    """``data`` (parsed JSON) as a ``cls``: known fields only, each of its annotated type (a bool
    is no int here), missing ones at their defaults; ``ValueError`` naming the first that is not."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} is not a JSON object")
    known = {f.name: f.type for f in fields(cls)}
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise ValueError(f"{cls.__name__} has unknown fields {', '.join(unknown)}")
    for name, value in data.items():
        if not _fits(value, known[name]):
            kind = known[name]
            raise ValueError(f"{cls.__name__}.{name} should be {getattr(kind, '__name__', kind)}, not {value!r:.60}")
    return cls(**data)


def _fits(value: object, kind: typing.Any) -> bool:
    if typing.get_origin(kind) is list:
        return isinstance(value, list) and all(_fits(v, typing.get_args(kind)[0]) for v in value)
    if typing.get_origin(kind) in (types.UnionType, typing.Union):
        return any(_fits(value, k) for k in typing.get_args(kind))
    return type(value) is kind
