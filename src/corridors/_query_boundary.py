# TEMP shim for #17 integration
"""Moved to :mod:`corridors.query.boundary`; kept until its importers are updated."""

from .query.boundary import Boundary, read_vector, resolve_boundary

__all__ = ["Boundary", "read_vector", "resolve_boundary"]
