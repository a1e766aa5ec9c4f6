"""Bot State Explorer: a bot state library and an explorer for the stores bots write."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("botstate-explorer")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
