"""The newsfold web app and JSON API (``newsfold serve``)."""

from .app import create_app

__all__ = ["create_app"]
