"""`humor-bench serve`: a small OpenAI-compatible server for our local models, on loopback.

Why: real deployments put the judge (and often the students) behind an OpenAI-compatible server
(vLLM, llama.cpp, TGI) and reach it through Inspect's `openai-api/<service>/<model>` provider.
This server speaks the same protocol for `local/<alias>` and `hf-folder/<path>`, so that path is
exercised offline end to end: Inspect's real OpenAI client, HTTP, logprobs and all.

Endpoints: GET /v1/models, POST /v1/chat/completions (messages, max_tokens or
max_completion_tokens, temperature, top_p, seed, logprobs, top_logprobs; n = 1; no streaming, no
tools). Concurrent requests are batched by the provider's micro-batcher, exactly as in-process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, ModelOutput

from benchmark.errors import HumorBenchError

ROLES = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}


class RequestError(HumorBenchError):
    """A request this server cannot serve; becomes an HTTP 400 with the message."""


def parse_chat_request(body: dict[str, Any]) -> tuple[list, GenerateConfig]:
    """OpenAI chat-completions body -> (Inspect messages, GenerateConfig)."""
    if body.get("stream"):
        raise RequestError("streaming is not supported by humor-bench serve; send stream=false")
    if int(body.get("n") or 1) != 1:
        raise RequestError("only n=1 is supported")
    if body.get("tools"):
        raise RequestError("tools are not supported")
    messages = []
    for m in body.get("messages") or []:
        role = m.get("role")
        if role not in ROLES:
            raise RequestError(f"unsupported message role '{role}'; use system, user or assistant")
        content = m.get("content")
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        messages.append(ROLES[role](content=str(content or "")))
    if not messages:
        raise RequestError("'messages' is empty")
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    config = GenerateConfig(
        max_tokens=int(max_tokens) if max_tokens else None,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        seed=body.get("seed"),
        logprobs=bool(body.get("logprobs")) or None,
        top_logprobs=body.get("top_logprobs"),
    )
    return messages, config


def chat_completion_json(output: ModelOutput, model: str) -> dict[str, Any]:
    """Inspect ModelOutput -> OpenAI chat.completion object (with logprobs when present)."""
    choice = output.choices[0]
    logprobs = None
    if choice.logprobs is not None:
        logprobs = {"content": [
            {"token": lp.token, "logprob": lp.logprob, "bytes": list(lp.token.encode()),
             "top_logprobs": [{"token": t.token, "logprob": t.logprob, "bytes": list(t.token.encode())}
                              for t in (lp.top_logprobs or [])]}
            for lp in choice.logprobs.content
        ]}
    usage = output.usage
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": output.completion},
                     "logprobs": logprobs, "finish_reason": "stop" if choice.stop_reason == "stop" else "length"}],
        "usage": {"prompt_tokens": usage.input_tokens if usage else 0,
                  "completion_tokens": usage.output_tokens if usage else 0,
                  "total_tokens": usage.total_tokens if usage else 0},
    }


class ModelServer:
    """Serves one Inspect model API (ours) over HTTP; its async generate runs on a private event loop."""

    def __init__(self, api: Any, served_name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api, self.served_name = api, served_name
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self.requests = 0

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def generate(self, body: dict[str, Any]) -> dict[str, Any]:
        messages, config = parse_chat_request(body)
        future = asyncio.run_coroutine_threadsafe(self.api.generate(messages, [], "none", config), self.loop)
        self.requests += 1
        return chat_completion_json(future.result(), self.served_name)

    def serve_forever(self) -> None:
        self._loop_thread.start()
        try:
            self.httpd.serve_forever()
        finally:
            self.httpd.server_close()
            self.loop.call_soon_threadsafe(self.loop.stop)

    def shutdown(self) -> None:
        self.httpd.shutdown()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": server.served_name, "object": "model", "owned_by": "humor-bench"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

            def do_POST(self) -> None:  # noqa: N802
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}; use /v1/chat/completions", "type": "not_found"}})
                    return
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    self._send(200, server.generate(body))
                except (RequestError, json.JSONDecodeError, TypeError, ValueError) as ex:
                    self._send(400, {"error": {"message": str(ex), "type": "invalid_request_error"}})
                except Exception as ex:  # noqa: BLE001 - report, keep serving
                    self._send(500, {"error": {"message": f"{type(ex).__name__}: {ex}", "type": "server_error"}})

        return Handler


def make_server(model: str, host: str = "127.0.0.1", port: int = 8011, served_name: str | None = None, **model_args: Any) -> ModelServer:
    """`local/<alias>` or `hf-folder/<path>` behind an OpenAI-compatible endpoint."""
    from .providers import CheckpointModelAPI, EmbeddedModelAPI

    provider, _, name = model.partition("/")
    apis = {"local": EmbeddedModelAPI, "hf-folder": CheckpointModelAPI}
    if provider not in apis or not name:
        raise HumorBenchError(f"cannot serve '{model}'; serve local/<alias> or hf-folder/<path> (other models have their own servers)")
    api = apis[provider](name, **model_args)
    try:
        return ModelServer(api, served_name or name.rstrip("/").split("/")[-1], host, port)
    except OSError as ex:
        raise HumorBenchError(f"cannot listen on {host}:{port} ({ex.strerror}); pass another --port") from None
