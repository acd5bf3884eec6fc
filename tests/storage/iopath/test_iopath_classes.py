"""Per-flow constants as classes (``iopath.classes``): the class table gives back every row bit for
bit, and the kernels that read it give the per-flow tables' results (the path tests compare the
stages; here the table itself)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.storage.iopath.classes import class_table


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, -0.0, 1.5, np.nan, np.inf, -1.0]),
                          st.sampled_from([0.0, 2.0, 3.0])), min_size=1, max_size=60))
def test_every_row_comes_back_bit_for_bit_from_its_class(rows):
    a = np.array(rows, np.float64)
    cls, table = class_table(a)
    assert cls.dtype == np.int32 and len(cls) == len(a)
    assert (table[cls].view(np.int64) == a.view(np.int64)).all()
    assert len(np.unique(table.view(np.int64), axis=0)) == len(table)      # each class once


def test_integer_rows_and_no_rows():
    a = np.array([[2, 7], [1, 7], [2, 7], [1, 3]], np.int64)
    cls, table = class_table(a)
    assert (table[cls] == a).all() and len(table) == 3
    cls, table = class_table(np.zeros((0, 2)))
    assert len(cls) == 0 and table.shape == (0, 2)
