"""How the grader talks to the agent in a running kernel: source in, one record out per request.

The agent's package is sent as source (the kernel cannot import the grader) and installed as the
module ``__grader_agent__``; a request is one ``execute_request`` whose code passes the request
envelope to the agent, and the agent's reply is the one ``display_data`` of the grader's MIME type
that carries the request's nonce. Anything else the student's code prints or displays is ignored.
"""

import ast
import json
import queue
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from .kernel_side.codec import WireError, from_wire
from .kernel_side.contract import MIME, Reply, envelope

KERNEL_SIDE = Path(__file__).parent / "kernel_side"
AGENT_PACKAGE = "__grader_agent__"


class ModuleOrderError(RuntimeError):
    """The kernel-side modules cannot be installed one after another: an import is missing or cyclic."""


def sibling_imports(source: str) -> list[str]:
    """The package's modules that ``source`` imports (``from .x import`` and ``from . import x``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found += [node.module] if node.module else [alias.name for alias in node.names]
    return found


def install_order(entry: str, read: Callable[[str], str | None], installed: Collection[str] = ()) -> dict[str, str]:
    """{name: source} of ``entry`` and every module it imports, not in ``installed``, each after the
    modules it imports: the kernel executes them in this order, and a relative import finds only
    what ran before it. ``read`` gives a module's source, None where there is no such module."""
    order: dict[str, str] = {}
    trail: list[str] = []

    def visit(name: str, importer: str | None) -> None:
        if name in installed or name in order:
            return
        if name in trail:
            cycle = " -> ".join([*trail[trail.index(name):], name])
            raise ModuleOrderError(f"the kernel-side modules import each other in a cycle: {cycle}")
        source = read(name)
        if source is None:
            raise ModuleOrderError(f"{importer or 'the install'} imports .{name}, which is not a module of "
                                   "grader/kernel_side")
        trail.append(name)
        for imported in sibling_imports(source):
            visit(imported, name)
        trail.pop()
        order[name] = source

    visit(entry, None)
    return order


def kernel_side_source(name: str) -> str | None:
    path = KERNEL_SIDE / f"{name}.py"
    return path.read_text() if path.is_file() else None


# Read once at import, before any notebook runs: a notebook could rewrite the files on disk.
AGENT_MODULES = install_order("dispatch", kernel_side_source)
PRINT_CAP_MODULES = install_order("print_cap", kernel_side_source)


class KernelDied(RuntimeError):
    """The kernel process ended (os._exit, a crash, the memory cap)."""


class ProbeTimeout(RuntimeError):
    """A probe request did not answer in time (an endless loop in the student's code)."""


class _Package:
    def __repr__(self) -> str:
        return "PACKAGE"


PACKAGE = _Package()   # among install_code's arguments: the installed package itself


def _reads_back(value: object) -> bool:
    try:
        return bool(ast.literal_eval(repr(value)) == value)
    except (ValueError, SyntaxError):
        return False


def install_code(package: str, modules: Mapping[str, str], entry: str, attribute: str, *args: object) -> str:
    """Code that runs ``modules`` (name -> source, in ``install_order``) in the kernel as submodules
    of ``package`` and sets ``package.<attribute>`` to ``package.<entry>.install(*args)``. Each
    argument is ``PACKAGE`` or a literal, written here as Python text that reads back equal."""
    for arg in args:
        if arg is not PACKAGE and not _reads_back(arg):
            raise TypeError(f"install_code passes literals only, not {arg!r}")
    arguments = ", ".join("_p" if arg is PACKAGE else repr(arg) for arg in args)
    return (
        "import sys as _s, types as _t\n"
        f"_p = _s.modules.get({package!r}) or _t.ModuleType({package!r}); _p.__path__ = []\n"
        f"_s.modules[{package!r}] = _p\n"
        f"for _n, _src in {list(modules.items())!r}:\n"
        f"    _m = _t.ModuleType({package!r} + '.' + _n); _m.__package__ = {package!r}\n"
        "    _s.modules[_m.__name__] = _m; setattr(_p, _n, _m)\n"
        f"    exec(compile(_src, '<grader ' + _n + '>', 'exec'), _m.__dict__)\n"
        f"_p.{attribute} = _s.modules[{package!r} + '.{entry}'].install({arguments})\n"
        "del _s, _t, _p, _m, _n, _src\n"
    )


class AgentChannel:
    """One kernel's probe connection: runs code, sends request records, reads their replies."""

    def __init__(self, client, alive):
        self.client, self.alive = client, alive

    def execute(self, code, timeout):
        return self.client.execute_interactive(code, silent=False, store_history=False, allow_stdin=False,
                                               timeout=timeout, output_hook=lambda msg: None)

    def install(self, code, what, timeout=60):
        reply = self.execute(code, timeout)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not install {what}: {reply['content'].get('evalue')}")

    def drain(self):
        """The probe client hears every cell's output too; drop it so it does not pile up."""
        try:
            while True:
                self.client.get_iopub_msg(timeout=0)
        except (queue.Empty, Exception):
            pass

    def request(self, request, timeout):
        """The kernel's ``Reply`` to one request record. ``TimeoutError`` and ``KernelDied`` when
        there is none; ``KernelDied`` too when the reply is not the agent's (wrong nonce, not a Reply)."""
        nonce = uuid.uuid4().hex
        text = json.dumps(envelope(request, nonce))
        code = f"__import__({AGENT_PACKAGE!r}).agent.handle({text!r})"
        genuine = []
        for data in self._collect(code, timeout):
            try:
                reply = from_wire(data, Reply)
            except WireError:
                continue
            if reply.nonce == nonce:
                genuine.append(reply)
        if len(genuine) != 1:
            raise KernelDied("the kernel gave no answer to the grader (was the grading agent tampered with?)")
        return genuine[0]

    def _collect(self, code, timeout):
        """Run ``code``; gather the agent's replies until the kernel is idle. Notices death quickly."""
        msg_id = self.client.execute(code, silent=False, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        replies = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                msg = self.client.get_iopub_msg(timeout=min(0.5, remaining))
            except queue.Empty:
                if not self.alive():
                    raise KernelDied("the kernel died while running your code") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = msg.get("content", {})
            if msg["msg_type"] == "display_data" and MIME in content.get("data", {}):
                replies.append(content["data"][MIME])
            elif msg["msg_type"] == "status" and content.get("execution_state") == "idle":
                return replies
