"""Run the app under gunicorn: threaded workers, request logs, graceful shutdown on SIGTERM."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    """A gunicorn application that builds the Flask app in each worker process."""

    def __init__(self, overrides: dict[str, Any], options: dict[str, Any]) -> None:
        self.overrides = overrides
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply the gunicorn options given on the command line."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Create the Flask app (once per worker, after fork)."""
        from . import create_app

        app = create_app(self.overrides)
        app.extensions["alskg"].warm_up()
        return app


def run_server(overrides: dict[str, Any], *, host: str, port: int, workers: int,
               threads: int) -> None:
    """Serve until interrupted; SIGTERM lets requests in flight finish first."""
    timeout = float(overrides.get("ALSKG_QUERY_TIMEOUT", 10.0))
    options = {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": max(1, threads),
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "graceful_timeout": 15,
        "timeout": int(timeout + 30),
        "limit_request_line": 8190,
        "preload_app": False,
    }
    GunicornServer(overrides, options).run()
