"""``stackbound serve``: the HTTP API (``/v1``) over the library, for scripts and the web page.

::

    from stackbound.serve import ServeConfig, create_app

    app = create_app(ServeConfig(port=8765))     # a FastAPI app; run it with uvicorn

The app is a thin adapter: scenarios are loaded by the loader (built-in names or uploaded
text only, never a path), runs and analyses are the library's own, run as bounded jobs
(:mod:`.jobs`), and every answer is JSON or a table (:mod:`.tables`).
"""

from stackbound.serve.app import create_app
from stackbound.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]
