"""Warnings specific to tracking; errors use the shared classes of :mod:`corridors.errors`."""

from __future__ import annotations

from ..errors import CorridorsWarning

__all__ = ["NaiveTimestampWarning", "ShortSequenceWarning", "TrackingWarning"]


class TrackingWarning(CorridorsWarning):
    """Root of the warnings emitted by :mod:`corridors.tracking`."""


class NaiveTimestampWarning(TrackingWarning):
    """Timestamps without a time zone were read as UTC (Movebank exports are in UTC)."""


class ShortSequenceWarning(TrackingWarning):
    """Stretches of track too short to model (fewer fixes than a bridge needs) were left
    out of the sequences; the warning lists them."""
