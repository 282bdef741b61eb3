import numpy as np

from framing.aggregate import bootstrap_interval


def test_bootstrap_is_deterministic_and_brackets_the_mean():
    values = np.array([-0.9, -0.5, -0.7, 0.1, -0.8])
    low, high = bootstrap_interval(values)
    assert (low, high) == bootstrap_interval(values)
    assert low <= values.mean() <= high
    assert -1 <= low < high <= 1


def test_bootstrap_edge_cases():
    assert np.isnan(bootstrap_interval([])[0])
    assert bootstrap_interval([0.4]) == (0.4, 0.4)
    assert bootstrap_interval([0.2, 0.2]) == (0.2, 0.2)
