"""The page: a static HTML file, its script and style from this package, and plotly.js from
the installed plotly package (nothing from a CDN, nothing vendored by hand). The page is a
client of the ``/v1`` API like any other.

Every file is named here (no path from the request reaches the file system), sent with a
content security policy that lets the page load and call only this server.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response

__all__ = ["ASSETS", "router"]

router = APIRouter()

POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Scripts, styles and requests from this server only (plotly sets inline styles on its elements)."""

ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
"""The page's own files, in ``stackbound/serve/static``, and their media types."""


@cache
def _static(name: str) -> bytes:
    return resources.files("stackbound.serve").joinpath("static", name).read_bytes()


@cache
def _plotly() -> bytes:
    import plotly  # type: ignore[import-untyped]

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


def _file(body: bytes, media: str) -> Response:
    headers = {"Content-Security-Policy": POLICY, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=media, headers=headers)


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
def page() -> Response:
    """The page (``index.html``)."""
    return _file(_static("index.html"), "text/html; charset=utf-8")


@router.get("/static/plotly.min.js", include_in_schema=False)
def plotly_js() -> Response:
    """plotly.js from the installed plotly package."""
    return _file(_plotly(), "text/javascript; charset=utf-8")


@router.get("/static/{name}", include_in_schema=False)
def asset(name: str) -> Response:
    """One of the page's own files (:data:`ASSETS`); 404 for any other name."""
    if name not in ASSETS:
        raise HTTPException(404, f"no file {name[:64]!r} is served")
    return _file(_static(name), ASSETS[name])
