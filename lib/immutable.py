"""What caches hand out is never changed by whoever receives it.

Process-wide caches (``functools.lru_cache`` on a bundled file, Streamlit's ``cache_resource``) are
shared by every session on a server, so nothing they return may be changed in place: numpy arrays
are made read-only (writing raises ``ValueError``) and data frames are handed out as copies, which
pandas' copy-on-write makes free until someone writes (then only the writer's copy changes).
Every cache in ``lib`` is keyed on content (a file path of bundled data, a dataset fingerprint),
never on ``id()`` of an object.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def read_only(array: np.ndarray) -> np.ndarray:
    """``array``, no longer writeable (in place); returned for chaining."""
    array.setflags(write=False)
    return array


def handed_out(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a cached frame for one caller: adding, dropping or setting columns or values in it
    leaves the cached frame as it was (copy-on-write: no data copied until then)."""
    return frame.copy(deep=False)
