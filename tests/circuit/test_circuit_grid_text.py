"""The compiled ASCII-grid writer gives the bytes of ``repr`` (a speed-route differential test)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from corridors.circuit._raster_io import GridMeta, encode_ascii_grid

META_ARGS = {"xllcorner": 0.0, "yllcorner": 0.0, "cellsize": 1.0, "nodata": -9999.0}


def plain_rows(values: np.ndarray) -> bytes:
    """The writer's rows the slow, obvious way: repr of each value rounded to 8 decimals."""
    rounded = np.round(values, 8)
    rounded[rounded == 0] = 0.0
    return "".join(" ".join(map(repr, row)) + "\n" for row in rounded.tolist()).encode()


def rows_of(values: np.ndarray) -> bytes:
    meta = GridMeta(ncols=values.shape[1], nrows=values.shape[0], **META_ARGS)
    text = encode_ascii_grid(values, meta)
    return b"\n".join(text.split(b"\n")[6:])


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_any_floats_give_the_bytes_of_repr(values: np.ndarray) -> None:
    assert rows_of(values) == plain_rows(values)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
        elements=st.floats(-2e7, 2e7, allow_subnormal=False)
        | st.floats(-1e-3, 1e-3)
        | st.integers(-(10**9), 10**9).map(lambda k: k / 1e8),
    )
)
def test_map_like_values_give_the_bytes_of_repr(values: np.ndarray) -> None:
    assert rows_of(values) == plain_rows(values)


def test_boundaries_of_the_notations() -> None:
    values = np.array(
        [
            [1e-4, 1e-5, 9.9e-5, 5e-8, 1.5e-8, 0.1, 1.0, 10.0, 100.0],
            [-9999.0, 1e6, 9999999.99999999, 1e7, 123456.78901234, -0.0, 0.0, 4e-9, -4e-9],
        ]
    )
    assert rows_of(values) == plain_rows(values)
