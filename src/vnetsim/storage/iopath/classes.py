"""Per-flow constants as classes: each flow's index into a table of the distinct constant rows.

A kernel reads some constants of a leg's flow per leg, at random among thousands of flows (one
per leg class and block size), and the per-flow tables of all passes together outgrow the core's
cache, so each leg's row was a miss. The rows repeat: a benchmark cluster's 8,192 flows have 64
distinct device-draw rows (1,024 with each pair's jitter row). A flow's class (int32, 4 bytes a
flow) and the class table (its few distinct rows) stay in cache; the per-flow counters that must
stay per flow keep rows of their own.
"""

from __future__ import annotations

import numpy as np


def class_table(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, table)``: each row's class (int32) and the distinct rows, bit for bit
    (``table[classes] == rows`` bitwise: -0.0 and NaNs kept as they are), in the order of their
    bits. One ``lexsort`` of the columns (``np.unique`` over rows takes several times as long)."""
    rows = np.ascontiguousarray(rows)
    bits = rows.view(np.int64) if rows.dtype == np.float64 else rows.astype(np.int64)
    n = len(rows)
    if n == 0:
        return np.zeros(0, np.int32), rows.copy()
    order = np.lexsort(bits.T[::-1])
    ordered = bits[order]
    new = np.ones(n, np.bool_)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    classes = np.empty(n, np.int32)
    classes[order] = np.cumsum(new) - 1
    return classes, np.ascontiguousarray(rows[order[new]])
