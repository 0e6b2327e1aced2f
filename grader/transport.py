"""How the grader talks to the agent in a running kernel: source in, one record out per request.

The agent's package is sent as source (the kernel cannot import the grader) and installed as the
module ``__grader_agent__``; a request is one ``execute_request`` whose code passes the request
envelope to the agent, and the agent's reply is the one ``display_data`` of the grader's MIME type
that carries the request's nonce. Anything else the student's code prints or displays is ignored.
"""

import json
import queue
import time
import uuid
from pathlib import Path

from .kernel_side.codec import WireError, from_wire
from .kernel_side.contract import MIME, Reply, envelope

KERNEL_SIDE = Path(__file__).parent / "kernel_side"
AGENT_PACKAGE = "__grader_agent__"
# Read once at import, before any notebook runs: a notebook could rewrite the files on disk.
AGENT_MODULES = {name: (KERNEL_SIDE / f"{name}.py").read_text()
                 for name in ("codec", "contract", "working_dtype", "error_text", "capture", "stand_ins",
                              "library_guard", "helper_swap", "model_report", "dispatch")}
PRINT_CAP_MODULES = {"print_cap": (KERNEL_SIDE / "print_cap.py").read_text()}


class KernelDied(RuntimeError):
    """The kernel process ended (os._exit, a crash, the memory cap)."""


class ProbeTimeout(RuntimeError):
    """A probe request did not answer in time (an endless loop in the student's code)."""


def install_code(package, modules, entry, call):
    """Code that runs ``modules`` (name -> source, in dependency order) in the kernel as submodules
    of ``package`` and sets ``package.<attribute>`` to ``package.<entry>.install(<call>)``."""
    attribute, arguments = call
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
