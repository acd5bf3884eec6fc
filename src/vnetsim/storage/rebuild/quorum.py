"""Object accessibility by the quorum rule, vectorized over objects.

An object is accessible while (a) the live components hold more than half of its votes and (b) one
copy still has its data: at least one live replica (RAID-1) or at least k live fragments (erasure
code k+m). Components of ``copy == -1`` are witnesses: they vote but hold no data. A stretched
object has two copies (one per site); either one with its data suffices, given the votes.
"""

from __future__ import annotations

import numpy as np

from vnetsim.storage.rebuild.spec import ObjectSet


def accessible(objects: ObjectSet, alive: np.ndarray) -> np.ndarray:
    """Per object, whether it is accessible with the components ``alive`` (bool, objects x components)."""
    alive = np.asarray(alive, bool)
    votes = objects.votes * alive
    quorum = 2 * votes.sum(axis=1) > objects.votes.sum(axis=1)
    need = 1 if objects.kind == "raid1" else objects.data_fragments
    data = np.zeros(objects.objects, bool)
    for c in np.unique(objects.copy[objects.copy >= 0]):
        in_copy = (objects.copy == c) & alive
        data |= in_copy.sum(axis=1) >= need
    return quorum & data


def fully_protected(objects: ObjectSet, alive: np.ndarray) -> np.ndarray:
    """Per object, whether every component is alive (it tolerates its full FTT again)."""
    return np.asarray(np.asarray(alive, bool).all(axis=1))
