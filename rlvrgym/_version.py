"""The package version, importable from anywhere inside the package without importing the package itself."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rlvrgym")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
