"""Writers of small Omniscape inputs (INI jobs, ASCII grids) shared by the tests.

A module of its own, not conftest: ``from conftest import`` finds whichever folder's
conftest Python met first when several test folders have one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_ini(path: Path, **options: object) -> Path:
    """An Omniscape INI file with ``options`` (one ``name = value`` line each)."""
    lines = ["[Options]"] + [f"{k} = {v}" for k, v in options.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_asc(path: Path, values: np.ndarray, *, nodata: float = -9999.0) -> Path:
    """An ESRI ASCII grid of ``values`` (NaN as NoData), cell size 1, corner at 0, 0."""
    v = np.where(np.isnan(values), nodata, values)
    head = (
        f"ncols {v.shape[1]}\nnrows {v.shape[0]}\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
        f"NODATA_value {nodata:g}\n"
    )
    body = "\n".join(" ".join(repr(float(x)) for x in row) for row in v)
    path.write_text(head + body + "\n", encoding="ascii")
    return path
