"""The checks every request passes before a route sees it, as one ASGI middleware.

- The ``Host`` header must be the bound address, ``localhost`` or ``127.0.0.1``, with the
  port: a page on another site that resolves its own name to 127.0.0.1 (DNS rebinding)
  is refused.
- A POST or DELETE with an ``Origin`` header must come from this server's own origin: a
  page elsewhere must not drive it. Requests without one (curl, scripts) pass.
- A request body may hold at most ``max_body_bytes``: a larger ``Content-Length`` is
  refused before anything is read, and a body without one is counted as it arrives.

Refusals are JSON (403, 413) like every other error. No CORS header is ever sent.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stackbound.serve.config import ServeConfig
from stackbound.serve.schemas import ErrorBody

__all__ = ["Guard", "error_body"]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_body(error: str, message: str) -> bytes:
    """The JSON of an error answer, as every route gives it (:class:`~.schemas.ErrorBody`)."""
    return ErrorBody(error=error, message=message).model_dump_json().encode()


class Guard:
    """Host and Origin checks and the body size limit, in front of ``app``."""

    def __init__(self, app: ASGIApp, config: ServeConfig) -> None:
        self.app = app
        self.hosts = config.allowed_hosts()
        self.origins = config.allowed_origins()
        self.max_body = config.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope["method"], headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        await self.app(scope, self._bounded(receive), send)

    def _refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str, str] | None:
        host = headers.get("host", "")
        if host.lower() not in self.hosts:
            shown = host[:100] or "(none)"
            return 403, "forbidden_host", f"Host {shown!r} is not this server's address (use {min(self.hosts)})"
        origin = headers.get("origin")
        if method in UNSAFE_METHODS and origin is not None and origin.lower() not in self.origins:
            return 403, "forbidden_origin", f"a {method} from origin {origin[:100]!r} is refused: not this server's"
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > self.max_body):
            return 413, "payload_too_large", self._too_large()
        return None

    def _too_large(self) -> str:
        return f"the request body is larger than the limit of {self.max_body:,} bytes"

    def _bounded(self, receive: Receive) -> Receive:
        """``receive`` that raises once more than the limit has arrived (chunked bodies): an
        HTTP 413, which the app answers as JSON like any other refusal."""
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise HTTPException(413, self._too_large())
            return message

        return bounded


async def _answer(send: Send, status: int, error: str, message: str) -> None:
    body = error_body(error, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
