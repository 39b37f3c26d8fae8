"""Array type aliases shared by every module (one definition each).

``IntArray`` holds positions and counts (``np.intp``, what numpy's indexing returns);
``Int64Array`` holds values whose width is part of a file format or a compiled kernel's
signature (sparse-matrix indices, raster node ids).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["AnyFloatArray", "BoolArray", "FloatArray", "GeomArray", "Int64Array", "IntArray"]

FloatArray: TypeAlias = NDArray[np.float64]
AnyFloatArray: TypeAlias = NDArray[np.floating[Any]]
IntArray: TypeAlias = NDArray[np.intp]
Int64Array: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]
#: Arrays of shapely geometries (``dtype=object``), as shapely 2's vectorised API uses.
GeomArray: TypeAlias = NDArray[np.object_]
