"""`rlvrgym serve`: verifiers and environments over HTTP (batch verification, environment sessions, metrics).

Needs the `serve` extra (`pip install 'rlvrgym[serve]'`); the client side is `rlvrgym.client`.
"""

from rlvrgym.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def __getattr__(name: str):  # create_app imports FastAPI: only when asked for
    if name == "create_app":
        from rlvrgym.serve.app import create_app

        return create_app
    raise AttributeError(name)
