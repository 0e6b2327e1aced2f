"""A stand-in for GitHub's REST API on 127.0.0.1: it records every request and answers the few
that ``post-results`` makes (who am I, list a commit's comments, create one, edit one), with
failures planted per path for the tests."""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: dict | None


@dataclass
class StandIn:
    login: str = "course-bot"
    requests: list = field(default_factory=list)
    comments: dict = field(default_factory=dict)     # "owner/name@sha" -> [comment dicts]
    failures: dict = field(default_factory=dict)     # (method, path regex) -> [(status, headers)], used in order
    next_id: int = 1
    url: str = ""

    def fail(self, method, path_pattern, *answers):
        """Answer the next requests matching with these (status, headers) pairs, then normally."""
        self.failures[(method, path_pattern)] = list(answers)

    def sent(self, method):
        return [r for r in self.requests if r.method == method]


def _handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status, payload=None, headers=()):
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            state.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
            for (method, pattern), answers in state.failures.items():
                if method == self.command and re.search(pattern, self.path) and answers:
                    status, headers = answers.pop(0)
                    return self._answer(status, {"message": f"planted {status}"}, headers)
            path = self.path.split("?")[0]
            if path == "/user":
                return self._answer(200, {"login": state.login})
            listed = re.fullmatch(r"/repos/([^/]+/[^/]+)/commits/([0-9a-f]+)/comments", path)
            if listed and self.command == "GET":
                found = re.search(r"[?&]page=(\d+)", self.path)
                page = int(found[1]) if found else 1
                on_commit = state.comments.get(f"{listed[1]}@{listed[2]}", [])
                return self._answer(200, on_commit[(page - 1) * 100:page * 100])
            if listed and self.command == "POST":
                comment = {"id": state.next_id, "body": body["body"], "user": {"login": state.login}}
                state.next_id += 1
                state.comments.setdefault(f"{listed[1]}@{listed[2]}", []).append(comment)
                return self._answer(201, comment)
            edited = re.fullmatch(r"/repos/[^/]+/[^/]+/comments/(\d+)", path)
            if edited and self.command == "PATCH":
                for comments in state.comments.values():
                    for comment in comments:
                        if comment["id"] == int(edited[1]):
                            comment["body"] = body["body"]
                            return self._answer(200, comment)
            return self._answer(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = _serve

    return Handler


class running:
    """``with running() as api:`` a stand-in listening on 127.0.0.1 at ``api.url``."""

    def __init__(self, state=None):
        self.state = state or StandIn()

    def __enter__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.state.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.state

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
