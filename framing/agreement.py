"""Agreement: Krippendorff's alpha between coders, with a bootstrap interval.

Alpha itself comes from the ``krippendorff`` package (Castro's implementation of
Krippendorff 2011, "Computing Krippendorff's alpha-reliability"); this module only
arranges the codes into its reliability matrix (coders x units, NaN where a coder did
not code a unit) and resamples units for a percentile-bootstrap 95% interval.

Stance codes are -2..2. Two levels are reported:

* ``interval``: alpha on the five-point score;
* ``nominal``: alpha on the three classes against / neutral / favour (the sign).
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd

__all__ = ["alpha", "bootstrap_alpha", "coder_agreement", "reliability_matrix", "verdict"]

LEVELS = ("interval", "nominal")


def reliability_matrix(codes: pd.DataFrame, unit: list[str], coders: list[str] | None = None,
                       value: str = "stance") -> tuple[np.ndarray, list[str]]:
    """Coders x units matrix of ``value`` (NaN where missing) from long-format codes.

    ``codes`` has one row per (unit, coder); ``unit`` names the columns that identify a
    unit. Returns the matrix and the coder names (its rows).
    """
    wide = codes.pivot_table(index=unit, columns="coder", values=value, aggfunc="first")
    if coders is not None:
        wide = wide.reindex(columns=coders)
    return wide.to_numpy(dtype=float).T, list(wide.columns)


def _nominal(matrix: np.ndarray) -> np.ndarray:
    return np.sign(matrix)


def alpha(matrix: np.ndarray, level: str = "interval") -> float:
    """Krippendorff's alpha of a coders x units matrix at ``interval`` or ``nominal`` level.

    At the nominal level the -2..2 codes are first reduced to their class (the sign).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    data = _nominal(matrix) if level == "nominal" else matrix
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2)
    if pairable.sum() == 0:
        return float("nan")
    values = np.unique(data[~np.isnan(data)])
    if len(values) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                    value_domain=[-2, -1, 0, 1, 2] if level == "interval" else [-1, 0, 1]))


def bootstrap_alpha(matrix: np.ndarray, level: str = "interval", n: int = 1000,
                    seed: int = 0) -> tuple[float, float, float]:
    """(alpha, low, high): alpha and its 95% percentile-bootstrap interval over units.

    Units (columns) are resampled with replacement ``n`` times from a generator seeded
    with ``seed``, so the interval is the same on every run.
    """
    point = alpha(matrix, level)
    rng = np.random.default_rng(seed)
    k = matrix.shape[1]
    draws = np.array([alpha(matrix[:, rng.integers(0, k, k)], level) for _ in range(n)])
    draws = draws[~np.isnan(draws)]
    if not len(draws):
        return point, float("nan"), float("nan")
    low, high = np.percentile(draws, [2.5, 97.5])
    return point, float(low), float(high)


def verdict(value: float) -> str:
    """Krippendorff's (2004) reading of alpha: reliable, tentative, or not reliable."""
    if np.isnan(value):
        return "not computable"
    if value >= 0.800:
        return "reliable (alpha >= 0.800)"
    if value >= 0.667:
        return "tentative conclusions only (0.667 <= alpha < 0.800)"
    return "not reliable (alpha < 0.667)"


def coder_agreement(codes: pd.DataFrame, unit: list[str], coders: list[str] | None = None,
                    n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Alpha between coders at both levels, with bootstrap intervals and raw agreement.

    One row per level: ``level, alpha, low, high, units, agreement`` where ``units`` is
    the number of units coded by at least two coders and ``agreement`` the share of
    those on which all their coders give the same value (score or class).
    """
    matrix, names = reliability_matrix(codes, unit, coders)
    pairable = np.sum(~np.isnan(matrix), axis=0) >= 2
    rows = []
    for level in LEVELS:
        value, low, high = bootstrap_alpha(matrix, level, n=n, seed=seed)
        data = _nominal(matrix) if level == "nominal" else matrix
        sub = data[:, pairable]
        same = np.array([len(set(col[~np.isnan(col)])) == 1 for col in sub.T], dtype=bool)
        rows.append({"level": level, "alpha": value, "low": low, "high": high,
                     "units": int(pairable.sum()), "agreement": float(same.mean()) if len(same) else float("nan"),
                     "coders": len(names)})
    return pd.DataFrame(rows)
