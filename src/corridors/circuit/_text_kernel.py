"""ESRI ASCII grid rows as bytes, compiled: Python's ``repr`` of each rounded value.

:func:`._raster_io.encode_ascii_grid` writes each value rounded to 8 decimals as Python's
``repr`` would (the shortest text that reads back as the same float), which is what
Circuitscape.jl writes. Calling ``repr`` a million times per map took a quarter of a
BigTests job, so this loop writes the same bytes directly.

Why the text is easy to get here: a value ``v = rint(x * 1e8) / 1e8`` with ``|v| < 1e7``
is the float nearest ``k / 10^8`` for the integer ``k = rint(v * 1e8)``; floats that close
to each other are less than 1e-8 apart, so no shorter decimal reads back as ``v`` and
``repr(v)`` is the digits of ``k`` without trailing zeros, placed by Python's rule
(fixed notation for decimal exponents -4 to 15, else ``1.5e-05`` style). Values outside
that range (or NaN and infinity) are reported back and the caller uses ``repr``.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["LIMIT", "encode_rows"]

#: Largest magnitude written here: below it, neighbouring floats are < 1e-8 apart (the
#: float spacing at 1e7 is 1.9e-9), so the 8-decimal text is the shortest one.
LIMIT = 1e7
#: Decimals the values are rounded to (Circuitscape's writer).
_SCALE = 1e8
_DECIMALS = 8
#: Python's ``repr`` switches to exponent notation outside ``-4 < decpt <= 16``.
_FIXED_MIN_DECPT = -3
_FIXED_MAX_DECPT = 16
#: Longest text of one value: sign, 16 digits, point, zeros (fixed form, |v| < 1e7).
_MAX_CHARS = 32


@numba.njit(cache=True, nogil=True)
def encode_rows(values: Any) -> Any:  # pragma: no cover - compiled
    """Rows of space-separated values, each row ending in a newline, as uint8.

    Returns ``(buffer, length)``; ``length`` is -1 if some value needs ``repr``
    (non-finite, ``|v| >= LIMIT`` or not a multiple of 1e-8).
    """
    rows, cols = values.shape
    out = np.empty(rows * cols * _MAX_CHARS + rows, np.uint8)
    digits = np.empty(24, np.uint8)
    pos = 0
    for r in range(rows):
        for c in range(cols):
            v = values[r, c]
            if not (abs(v) < LIMIT):
                return out, -1
            k = np.int64(np.rint(v * _SCALE))
            if k / _SCALE != v:
                return out, -1
            if c > 0:
                out[pos] = 32  # " "
                pos += 1
            if k == 0:
                out[pos] = 48
                out[pos + 1] = 46
                out[pos + 2] = 48  # "0.0"
                pos += 3
                continue
            if k < 0:
                out[pos] = 45  # "-"
                pos += 1
                k = -k
            # Digits of k, most significant first; drop the trailing zeros.
            n = 0
            while k > 0:
                digits[n] = 48 + k % 10
                k //= 10
                n += 1
            total = n
            for i in range(n // 2):
                digits[i], digits[n - 1 - i] = digits[n - 1 - i], digits[i]
            while n > 1 and digits[n - 1] == 48:
                n -= 1
            decpt = total - _DECIMALS  # value = 0.DIGITS x 10^decpt
            if _FIXED_MIN_DECPT <= decpt <= _FIXED_MAX_DECPT:
                if decpt <= 0:
                    out[pos] = 48
                    out[pos + 1] = 46  # "0."
                    pos += 2
                    for _ in range(-decpt):
                        out[pos] = 48
                        pos += 1
                    for i in range(n):
                        out[pos] = digits[i]
                        pos += 1
                elif decpt >= n:
                    for i in range(n):
                        out[pos] = digits[i]
                        pos += 1
                    for _ in range(decpt - n):
                        out[pos] = 48
                        pos += 1
                    out[pos] = 46
                    out[pos + 1] = 48  # ".0"
                    pos += 2
                else:
                    for i in range(decpt):
                        out[pos] = digits[i]
                        pos += 1
                    out[pos] = 46
                    pos += 1
                    for i in range(decpt, n):
                        out[pos] = digits[i]
                        pos += 1
            else:
                out[pos] = digits[0]
                pos += 1
                if n > 1:
                    out[pos] = 46
                    pos += 1
                    for i in range(1, n):
                        out[pos] = digits[i]
                        pos += 1
                exp = decpt - 1
                out[pos] = 101  # "e"
                out[pos + 1] = 45 if exp < 0 else 43
                pos += 2
                exp = abs(exp)
                if exp < 10:
                    out[pos] = 48
                    pos += 1
                    out[pos] = 48 + exp
                    pos += 1
                else:
                    out[pos] = 48 + exp // 10
                    out[pos + 1] = 48 + exp % 10
                    pos += 2
        out[pos] = 10  # "\n"
        pos += 1
    return out, pos
