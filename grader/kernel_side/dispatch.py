"""The grader's agent in the student's kernel: answers the grader's requests, trusting none of them
to the student and none of its answers to the grader (which reads them through ``contract.py``).

The grader executes this package as source in the kernel (``install``); tests call ``Agent.answer``
directly, without a kernel. Each ``op_*`` answers one ``Request`` record of the contract.
"""

import contextlib
import json
import random

import torch
from IPython import get_ipython

from . import stand_ins
from .capture import DefinitionCapture
from .codec import WireError, to_wire
from .contract import MIME, CaseOutcome, LayerSpec, Reply, open_envelope
from .error_text import error_text
from .helper_swap import HelperSwap
from .library_guard import LibraryCopyUsed, OwnCodeOnly
from .model_report import run_model
from .threads import one_thread
from .working_dtype import default_dtype, dtype_name, handed_over

MAX_MESSAGE = 2000


def _error_text(error, limit=MAX_MESSAGE):
    """The error with the line of the student's code it came from (``error_text.py``)."""
    return error_text(error, getattr(get_ipython(), "user_ns", None), limit)


class Agent:
    def __init__(self, kinds):
        self.capture = DefinitionCapture(kinds)

    def lookup(self, name):
        return self.capture.lookup(name)

    def handle(self, request_text):
        from IPython.display import display
        display({MIME: self.answer(request_text)}, raw=True)

    def answer(self, request_text):
        """The reply to one request envelope, as wire data (errors included)."""
        try:
            nonce, request = open_envelope(json.loads(request_text))
        except (ValueError, WireError) as bad:
            return Reply(nonce="", ok=False, kind="exception", message=f"bad request: {bad}").to_wire()
        try:
            # training keeps the kernel's threads; every other request is small (``threads.py``)
            with contextlib.nullcontext() if request.OP == "train" else one_thread():
                result = getattr(self, "op_" + request.OP)(request)
            reply = Reply(nonce=nonce, ok=True, value=to_wire(result, request.ANSWER))
        except LookupError as missing:
            reply = Reply(nonce=nonce, ok=False, kind="missing",
                          message=self.capture.missing_message(str(missing).strip("'")))
        except NotImplementedError as stub:
            reply = Reply(nonce=nonce, ok=False, kind="not_implemented", message=str(stub) or "NotImplementedError")
        except LibraryCopyUsed as borrowed:
            reply = Reply(nonce=nonce, ok=False, kind="borrowed", message=str(borrowed))
        except BaseException as error:  # the student's code may raise anything, SystemExit too
            reply = Reply(nonce=nonce, ok=False, kind="exception", message=_error_text(error))
        return reply.to_wire()

    @contextlib.contextmanager
    def swapped(self, request):
        """While the request runs: the book's versions of its helpers in the student's namespace, and
        the course library's own copy of the graded item refusing to answer for it."""
        try:
            target = self.lookup(request.name)
        except LookupError:
            target = None
        with OwnCodeOnly(request.item, extra_holders=(stand_ins, stand_ins.book_models_made())), \
                HelperSwap(get_ipython().user_ns, request.helpers, target):
            yield

    @staticmethod
    def built(value):
        """Arguments as the graded code gets them: layers the grader described are built here."""
        if isinstance(value, LayerSpec):
            return value.build()
        if isinstance(value, (list, tuple)):
            return type(value)(Agent.built(v) for v in value)
        return value

    def _call(self, request, args, kwargs):
        target = self.lookup(request.name)
        args, kwargs = [self.built(a) for a in args], {k: self.built(v) for k, v in kwargs.items()}
        args, kwargs = handed_over((args, kwargs), default_dtype())   # where the student's code works
        torch.manual_seed(request.seed)
        with self.swapped(request):
            return target(*args, **kwargs)

    def op_inventory(self, request):
        return self.capture.inventory()

    def op_value(self, request):
        """A graded constant (an architecture tuple), as it is."""
        return self.lookup(request.name)

    def op_call(self, request):
        return self._call(request, request.args, request.kwargs)

    def op_cases(self, request):
        """One graded function on many inputs; a stub fails the whole batch."""
        outcomes, given = [], dtype_name(default_dtype())
        for case in request.cases:
            try:
                outcomes.append(CaseOutcome(ok=True, value=self._call(request, case.args, case.kwargs), dtype=given))
            except (NotImplementedError, LibraryCopyUsed):
                raise
            except BaseException as error:
                outcomes.append(CaseOutcome(ok=False, message=_error_text(error, 1000), dtype=given))
        return outcomes

    def op_model(self, request):
        """Build a graded module, then report on it with ``run_model``."""
        torch.manual_seed(request.seed)
        with self.swapped(request):
            factory = self.lookup(request.name)
            model = factory(*[self.built(a) for a in request.args],
                            **{k: self.built(v) for k, v in request.kwargs.items()})
            if not isinstance(model, torch.nn.Module):
                raise TypeError(f"{request.name}(...) returned {type(model).__name__}, not an nn.Module")
            return run_model(model, request.input, request.modes, request.fill, request.grads, request.seed)


agent = None


def install(kinds):
    """Called once, right after the package is executed in the kernel, before any cell; returns the
    agent. Seeds the random generators, so that grading the same notebook twice draws the same
    numbers (a notebook whose own assertion holds only for some random draws gets one verdict)."""
    global agent
    random.seed(0)
    torch.manual_seed(0)
    agent = Agent(kinds)
    agent.capture.watch(get_ipython().events)
    return agent


