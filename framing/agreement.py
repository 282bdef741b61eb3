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

__all__ = ["agreement_report", "alpha", "bootstrap_alpha", "coder_agreement", "coders_report", "consensus",
           "reliability_matrix", "verdict", "write_report"]

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


# ------------------------------------------------------------------ coded files (framing agreement)

#: a country gets its own rows in the system report when it has at least this many coded units
MIN_UNITS = 20


def consensus(codes: pd.DataFrame) -> pd.DataFrame:
    """The coders' consensus per unit: the median of the codes given, rounded toward zero
    (two coders at +1 and +2 give +1; at -1 and +1 give 0), over the coders who coded the
    unit as a reference. ``not a reference`` codes (NaN) are left out; a unit every coder
    calls not a reference has no consensus (NaN).

    Returns ``unit_id, consensus, coders, not_reference`` (codes given, and not-a-reference
    codes, per unit)."""
    grouped = codes.groupby("unit_id", sort=True)["stance"]
    median = grouped.median()
    return pd.DataFrame({"unit_id": median.index, "consensus": np.trunc(median.to_numpy(dtype=float)) + 0.0,
                         "coders": grouped.count().to_numpy(),
                         "not_reference": grouped.apply(lambda s: int(s.isna().sum())).to_numpy()})


def check_common_units(codes: pd.DataFrame) -> None:
    """Raise ValueError (naming the files) when two or more coders share no unit coded as a
    reference by at least two of them: there is nothing to compute agreement on."""
    coded = codes[codes["stance"].notna()]
    if codes["coder"].nunique() < 2:
        return
    shared = coded.groupby("unit_id")["coder"].nunique()
    if not (shared >= 2).any():
        files = ", ".join(dict.fromkeys(codes["file"])) if "file" in codes.columns else "the coded files"
        coders = ", ".join(sorted(codes["coder"].unique()))
        raise ValueError(f"{files}: row 2: the coders ({coders}) have no unit in common that two of them "
                         "coded as a reference; agreement needs common units")


def coders_report(codes: pd.DataFrame, n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Between-coder alpha (interval on -2..2, nominal on against / neutral / favour) with
    bootstrap 95% intervals and Krippendorff's verdict; "not a reference" counts as not
    coded. Empty when fewer than two coders."""
    if codes["coder"].nunique() < 2:
        return pd.DataFrame(columns=["level", "alpha", "low", "high", "units", "agreement", "coders", "verdict"])
    table = coder_agreement(codes[codes["stance"].notna()], ["unit_id"], n=n, seed=seed)
    table["verdict"] = table["alpha"].map(verdict)
    return table


def find_sample(coded_paths, codes: pd.DataFrame):
    """The sample sidecar (``*.sample.csv``) beside the coded files that lists most of the coded
    units; None when none lists any (the report is then unweighted)."""
    from pathlib import Path

    from .coding import read_sample

    wanted = set(codes["unit_id"])
    best, found = 0, None
    for folder in dict.fromkeys(Path(p).resolve().parent for p in coded_paths):
        for path in sorted(folder.glob("*.sample.csv")):
            side = read_sample(path)
            if "unit_id" in side.columns and "weight" in side.columns:
                overlap = len(wanted & set(side["unit_id"]))
                if overlap > best:
                    best, found = overlap, side
    return found


def read_codes(coded_paths) -> pd.DataFrame:
    """Every code of the coded files (:func:`framing.coding.read_coded`), checked across files
    too: a coder may not code the same unit in two files."""
    from .coding import CodingFileError, read_coded

    codes = pd.concat([read_coded(p) for p in coded_paths], ignore_index=True)
    dup = codes[codes.duplicated(["unit_id", "coder"])]
    if len(dup):
        r = dup.iloc[0]
        raise CodingFileError(f"{r['file']}: row {r['row']}: {r['coder']} coded {r['unit_id']} in another file already")
    return codes


def agreement_report(coded_paths, results=None, sample=None, n: int = 1000, seed: int = 0,
                     min_units: int = MIN_UNITS) -> dict:
    """What ``framing agreement`` reports, as tables; raises ValueError / CodingFileError
    (naming file and row) on bad input before anything is computed.

    ``results``: the study's results folder (default: the one the sample sidecar names);
    ``sample``: the sidecar (default: found beside the coded files). Returns ``codes``,
    ``coders`` (:func:`coders_report`), ``system`` and ``confusions``
    (:func:`framing.validate.system_vs_codes`; None without results), ``consensus``,
    ``weighted`` (whether sampling weights were found), ``verdicts`` (plain sentences) and
    ``markdown``."""
    from pathlib import Path

    from .coding import read_sample, sample_results
    from .validate import system_units, system_vs_codes

    codes = read_codes(coded_paths)
    side = read_sample(sample) if sample else find_sample(coded_paths, codes)
    target = None
    if results is None:
        results = sample_results(side)
    if side is not None and "target" in side.columns:
        target = side["target"].iloc[0]
    system = None
    if results is not None:
        system = system_units(results, target)
        missing = codes[~codes["unit_id"].isin(system["unit_id"])]
        if len(missing):
            r = missing.iloc[0]
            raise ValueError(f"{r['file']}: row {r['row']}: unit {r['unit_id']} is not an evidence unit of "
                             f"{Path(results) / 'evidence.csv'}")
    if side is not None:
        missing = codes[~codes["unit_id"].isin(side["unit_id"])]
        if len(missing):
            r = missing.iloc[0]
            raise ValueError(f"{r['file']}: row {r['row']}: unit {r['unit_id']} is not in the sample "
                             f"{sample or side['sample_file'].iloc[0]}")
    check_common_units(codes)
    weights = None if side is None else side.set_index("unit_id")["weight"].astype(float)
    coders = coders_report(codes, n=n, seed=seed)
    out = {"codes": codes, "coders": coders, "consensus": consensus(codes), "weighted": side is not None,
           "system": None, "confusions": None, "results": results}
    if system is not None:
        out["system"], out["confusions"] = system_vs_codes(codes, system, weights, min_units)
    out["verdicts"] = verdicts(out)
    out["markdown"] = report_markdown(out)
    return out


def verdicts(report: dict) -> list[str]:
    """The report's verdicts in plain words, with Krippendorff's thresholds."""
    lines = []
    coders = report["coders"]
    if len(coders):
        by = coders.set_index("level")
        nom, inter = by.loc["nominal"], by.loc["interval"]
        lines.append(f"Coders ({int(nom['coders'])}, {int(nom['units'])} common units): alpha {nom['alpha']:.3f} "
                     f"on against / neutral / favour (95% {nom['low']:.3f}-{nom['high']:.3f}) and "
                     f"{inter['alpha']:.3f} on the -2..2 scale: {verdict(nom['alpha'])}.")
    else:
        lines.append("One coder only: between-coder reliability cannot be measured; have a second coder "
                     "code the same sheet.")
    system = report["system"]
    if system is not None:
        ref = "consensus" if "consensus" in set(system["reference"]) else system["reference"].iloc[0]
        row = system[(system["reference"] == ref) & (system["group"] == "all")].iloc[0]
        who = "the coders' consensus" if ref == "consensus" else f"coder {ref}"
        lines.append(f"System against {who} ({int(row['units'])} units): alpha {row['alpha']:.3f} on "
                     f"against / neutral / favour, accuracy {row['accuracy']:.2f}, macro-F1 {row['macro_f1']:.2f}"
                     f"{' (weighted by the sampling weights)' if report['weighted'] else ' (unweighted)'}"
                     f": {verdict(row['alpha'])}.")
    return lines


def _md_table(df: pd.DataFrame) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def report_markdown(report: dict) -> str:
    parts = ["# Agreement report", "", *[f"* {v}" for v in report["verdicts"]], "",
             "Krippendorff's thresholds: alpha >= 0.800 reliable; 0.667-0.800 tentative conclusions only; "
             "below 0.667 not reliable. \"Not a reference\" codes are left out of alpha and of the "
             "system's metrics. The consensus is the median of the coders' codes, rounded toward zero.", ""]
    if len(report["coders"]):
        parts += ["## Between coders", "", _md_table(report["coders"]), ""]
    if report["system"] is not None:
        parts += ["## System against each coder and the consensus", "",
                  "Accuracy and macro-F1 weighted by the sampling weights; alpha (nominal) and Spearman unweighted.",
                  "", _md_table(report["system"]), ""]
    if report.get("cross_validation") is not None:
        parts += ["## Adapting the model to these codes (cross-validated)", "", _md_table(report["cross_validation"]), ""]
    return "\n".join(parts)


def agreement_figure(report: dict):
    """Alpha between coders and of the system against each coder and the consensus, against
    Krippendorff's thresholds; beside it the system's weighted confusion with the consensus."""
    from . import figures

    rows = []
    for r in report["coders"].itertuples():
        rows.append((f"coders ({r.level})", r.alpha, r.low, r.high))
    if report["system"] is not None:
        for r in report["system"][report["system"]["group"] == "all"].itertuples():
            rows.append((f"system vs {r.reference}", r.alpha, np.nan, np.nan))
    ncols = 2 if report["confusions"] else 1
    fig, axes = figures.new_figure(3.2, ncols=ncols, width_ratios=[1.4, 1] if ncols == 2 else None)
    ax = axes[0] if ncols == 2 else axes
    ax.axvspan(0.800, 1.0, color="#E5F0E5", linewidth=0)
    ax.axvspan(0.667, 0.800, color="#F6F0DC", linewidth=0)
    y = np.arange(len(rows))[::-1]
    for yi, (name, a, lo, hi) in zip(y, rows):
        colour = figures.OKABE_ITO[7] if name.startswith("coders") else figures.OKABE_ITO[0]
        if not np.isnan(lo):
            ax.hlines(yi, lo, hi, color=colour, linewidth=2)
        ax.scatter([a], [yi], color=colour, zorder=3, s=28)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlim(min(-0.05, np.nanmin([r[1] for r in rows] + [0]) - 0.05), 1.03)
    ax.set_xlabel("Krippendorff's alpha (green: reliable, yellow: tentative)")
    if ncols == 2:
        key = ("consensus", "all") if ("consensus", "all") in report["confusions"] else next(iter(report["confusions"]))
        figures.confusion_plot(report["confusions"][key].round(1), ax=axes[1],
                               title="weighted units")
        axes[1].set_ylabel(key[0])
    figures.finish(fig, _figure_title(report), corpus="the coded sample")
    return fig


def _figure_title(report: dict) -> str:
    coders = report["coders"]
    parts = []
    if len(coders):
        nominal = coders.set_index("level").loc["nominal", "alpha"]
        parts.append(f"Coders agree at alpha {nominal:.2f}")
    if report["system"] is not None:
        s = report["system"]
        ref = "consensus" if "consensus" in set(s["reference"]) else s["reference"].iloc[0]
        a = s[(s["reference"] == ref) & (s["group"] == "all")]["alpha"].iloc[0]
        parts.append(f"the system agrees with {'their consensus' if ref == 'consensus' else ref} at {a:.2f}")
    return "; ".join(parts) or "Agreement"


def write_report(report: dict, out) -> list:
    """Write the report's tables (``coders.csv``, ``system.csv``, ``confusion.csv``,
    ``consensus.csv``, ``cross_validation.csv``), ``report.md`` and the figure
    (``agreement.svg``/``.png`` with ``index.csv``, through :func:`framing.figures.save_figure`)
    into ``out``, each atomically."""
    import os
    from pathlib import Path

    import matplotlib.pyplot as plt

    from . import figures
    from .output import prepare_folder, write_bytes_atomic, write_csv

    out = prepare_folder(out)
    written = []
    tables = {"coders": report["coders"], "consensus": report["consensus"]}
    if report["system"] is not None:
        tables["system"] = report["system"]
        tables["confusion"] = pd.concat(
            [m.stack().rename("weight").reset_index().assign(reference=r, group=g)
             for (r, g), m in report["confusions"].items()], ignore_index=True)[
            ["reference", "group", "coder", "system", "weight"]]
    if report.get("cross_validation") is not None:
        tables["cross_validation"] = report["cross_validation"]
    for name, table in tables.items():
        write_csv(table, out / f"{name}.csv")
        written.append(out / f"{name}.csv")
    write_bytes_atomic(out / "report.md", report["markdown"].encode("utf-8"))
    written.append(out / "report.md")
    fig = agreement_figure(report)
    previous = os.environ.get(figures.FIGURES_ENV)
    os.environ[figures.FIGURES_ENV] = str(Path(out))
    try:
        written += figures.save_figure(fig, "agreement", title=_figure_title(report),
                                       caption="Krippendorff's alpha between coders (95% bootstrap interval) "
                                               "and of the system against each coder and their consensus.",
                                       notebook="framing agreement", inputs=[report["codes"][["unit_id", "coder", "stance"]]])
    finally:
        if previous is None:
            os.environ.pop(figures.FIGURES_ENV, None)
        else:
            os.environ[figures.FIGURES_ENV] = previous
        plt.close(fig)
    return written
