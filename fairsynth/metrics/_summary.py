"""One call that gathers the synthetic-data quality measures."""

import numpy as np

from ._detection import detection_auc
from ._privacy import distance_to_closest_record, exact_copy_rate
from ._quality import column_fidelity, correlation_similarity


def quality_report(real, synthetic, *, random_state=None, max_rows=20_000):
    """Measure fidelity, detectability and privacy of a synthetic table.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns.
    random_state : int, RandomState instance or None, default=None
        Seeds the detection classifier and the subsamples.
    max_rows : int, default=20_000
        Bounds the rows used by the detection classifier and, for the real table,
        by the nearest-neighbour search.

    Returns
    -------
    dict
        ``column_fidelity`` (a Series), ``mean_fidelity``,
        ``correlation_similarity``, ``detection_auc``, ``exact_copy_rate`` and
        ``median_distance_to_closest_record``.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> real, _ = make_biased_classification(200, random_state=0)
    >>> other, _ = make_biased_classification(200, random_state=1)
    >>> scores = quality_report(real, other, random_state=0)
    >>> sorted(scores)
    ['column_fidelity', 'correlation_similarity', 'detection_auc', 'exact_copy_rate',
     'mean_fidelity', 'median_distance_to_closest_record']
    >>> scores["exact_copy_rate"]
    0.0
    """
    fidelity = column_fidelity(real, synthetic)
    distances = distance_to_closest_record(
        real, synthetic, max_real_rows=max_rows, random_state=random_state
    )
    return {
        "column_fidelity": fidelity,
        "mean_fidelity": float(fidelity.mean()),
        "correlation_similarity": correlation_similarity(real, synthetic),
        "detection_auc": detection_auc(
            real, synthetic, random_state=random_state, max_rows=max_rows
        ),
        "exact_copy_rate": exact_copy_rate(real, synthetic),
        "median_distance_to_closest_record": float(np.median(distances)),
    }
