"""The labeling page's server: Starlette on uvicorn, loopback by default, page and script from the package.

The page asks for the next pair, shows it with the annotator's side assignment (a fair coin per
annotator and pair, recomputed here and stored with the answer: the page is never trusted with it),
and posts each answer as soon as it is given. Nothing sent to the page names the student or says
which text is the reference.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from benchmark.board.annotate.pairs import first_side, seeded_order
from benchmark.board.annotate.store import AnnotateError, LabelStore

STATIC = Path(__file__).parent / "static"
SHOWN = {"1": 0, "2": 1}  # paraphrase number on the page -> index into (first side, second side)


@dataclass
class Queue:
    """The pairs of this session, in the seeded order every annotator sees."""

    store: LabelStore
    keys: list[str]
    seed: int = 0

    def sides(self, annotator: str, key: str) -> tuple[str, str]:
        first = first_side(annotator, key, self.seed)
        return (first, "b" if first == "a" else "a")

    def view(self, annotator: str, key: str | None = None) -> dict:
        """The next unlabeled pair (or `key`), as the page shows it, with progress."""
        done = {label.key for label in self.store.current(annotator)}
        labeled = sum(k in done for k in self.keys)
        key = key or next((k for k in self.keys if k not in done), None)
        body: dict = {"annotator": annotator, "labeled": labeled, "total": len(self.keys), "done": key is None,
                      "can_undo": labeled > 0}
        if key is not None:
            pair = self.store.pair(key)
            texts = {"a": pair.a, "b": pair.b}
            first, second = self.sides(annotator, key)
            body["pair"] = {"key": key, "input": pair.input, "first": texts[first], "second": texts[second]}
        return body

    def answer(self, annotator: str, key: str, funnier: str, faithful: str | None) -> dict:
        if key not in self.keys:
            raise AnnotateError(f"pair '{key}' is not in this session; reload the page")
        sides = self.sides(annotator, key)

        def side(choice: str | None, allowed: tuple[str, ...]) -> str | None:
            if choice is None:
                return None
            if choice not in allowed:
                raise AnnotateError(f"answer {choice!r} is not one of {', '.join(allowed)}")
            return sides[SHOWN[choice]] if choice in SHOWN else choice

        self.store.record(annotator, key, sides[0], side(funnier, ("1", "2", "tie", "skip")), side(faithful, ("1", "2", "tie")))
        return self.view(annotator)

    def undo(self, annotator: str) -> dict:
        key = self.store.undo(annotator, self.keys)
        return self.view(annotator, key)


def create_app(store: LabelStore, keys: list[str], seed: int = 0) -> Starlette:
    queue = Queue(store, seeded_order(keys, seed), seed)

    def annotator_of(value: object) -> str:
        name = str(value or "").strip()
        if not name or len(name) > 64:
            raise AnnotateError("no annotator name; open the page as /?annotator=<your name> (at most 64 characters)")
        return name

    async def call(request: Request, action) -> JSONResponse:
        try:
            body = await request.json() if request.method == "POST" else dict(request.query_params)
            if not isinstance(body, dict):
                raise AnnotateError("send a JSON object")
            return JSONResponse(action(annotator_of(body.get("annotator")), body))
        except (AnnotateError, ValueError) as ex:
            return JSONResponse({"error": str(ex)}, status_code=400)

    async def next_pair(request: Request) -> JSONResponse:
        return await call(request, lambda who, body: queue.view(who))

    async def label(request: Request) -> JSONResponse:
        return await call(request, lambda who, body: queue.answer(who, str(body.get("key")), str(body.get("funnier")),
                                                                   body.get("faithful")))

    async def undo(request: Request) -> JSONResponse:
        return await call(request, lambda who, body: queue.undo(who))

    return Starlette(routes=[
        Route("/", lambda request: FileResponse(STATIC / "index.html")),
        Route("/app.js", lambda request: FileResponse(STATIC / "app.js", media_type="text/javascript")),
        Route("/api/next", next_pair),
        Route("/api/label", label, methods=["POST"]),
        Route("/api/undo", undo, methods=["POST"]),
    ])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a one-line error when the port is taken (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.bind((host, port))
    except OSError as ex:
        sock.close()
        raise AnnotateError(f"cannot listen on {host}:{port} ({ex.strerror}); pass another --port (0 picks a free one) "
                            "or stop the server that holds it") from None
    sock.listen(128)
    return sock


class Server:
    """uvicorn on an already bound socket, in the foreground (`serve_forever`) or a thread (tests)."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0):
        self.socket = bind(host, port)
        self.host, self.port = host, self.socket.getsockname()[1]
        self.uvicorn = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def serve_forever(self) -> None:
        self.uvicorn.run(sockets=[self.socket])

    def start(self) -> "Server":
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        while not self.uvicorn.started and self.thread.is_alive():
            threading.Event().wait(0.02)
        return self

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.socket.close()
