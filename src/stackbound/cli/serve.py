"""``stackbound serve``: the workbench page and the HTTP API (``/v1``) on one local server, with uvicorn."""

from __future__ import annotations

import threading
import webbrowser

import click

from stackbound.cli.common import DEBUG, err

__all__ = ["command"]


@click.command("serve", short_help="Serve the workbench page and the HTTP API (/v1) on this machine.")
@click.option(
    "--port",
    type=click.IntRange(min=1, max=65535),
    default=8765,
    show_default=True,
    help="Port to listen on (loopback unless --host).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback lets other machines in, with no authentication.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the server's address in a web browser.")
@DEBUG
def command(port: int, host: str, open_browser: bool, debug: bool) -> None:
    """Serve the workbench page (at /) and the HTTP API it uses on HOST:PORT until Ctrl-C:
    scenarios, checks, runs and analyses as JSON (the OpenAPI schema at /v1/openapi.json;
    see docs/workbench.md and docs/api.md)."""
    import uvicorn  # imported here: the other commands never load the web stack

    from stackbound.engine.memory import limit_arenas
    from stackbound.serve import ServeConfig, create_app
    from stackbound.serve.config import LOOPBACK

    limit_arenas()  # before uvicorn's threads: freed results are not spread over their arenas

    if host not in LOOPBACK:
        err.print(
            f"warning: listening on {host}, not loopback: anyone who can reach this address can use the API, "
            "and there is no authentication",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    config = ServeConfig(host=host, port=port)
    address = f"http://{'localhost' if host in LOOPBACK else host}:{port}"
    err.print(f"serving the workbench at {address}/ and the API at {address}/v1; Ctrl-C stops", markup=False)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(f"{address}/",)).start()
    uvicorn.run(create_app(config), host=host, port=port, log_level="debug" if debug else "warning")
