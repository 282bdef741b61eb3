"""Figures: the study's house style, its charts, and a byte-deterministic ``save_figure``.

House style: Okabe–Ito colours for categories, ColorBrewer's colour-blind-safe RdBu for
stance (red = against the target, blue = in its favour, white = 0), DejaVu Sans (shipped
with matplotlib, so the same glyphs everywhere), a title that states the finding and a
source line naming the corpus and the package version.

``save_figure(fig, name, ...)`` writes ``NAME.svg`` and ``NAME.png`` (300 dpi) to the
figures folder (``$FRAMING_FIGURES``, default ``figures/`` at the project root) with a
fixed ``svg.hashsalt``, no dates and no software versions in the file metadata, from the
Agg renderer, and records the figure in ``index.csv`` (name, title, caption, notebook,
SHA-256 of its inputs). The same inputs give the same bytes on every run.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)  # a no-op under Jupyter's inline backend, which renders with Agg too

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from . import __version__  # noqa: E402
from .output import write_bytes_atomic  # noqa: E402

#: Okabe & Ito (2008) colour-blind-safe qualitative palette.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
STANCE_CMAP = "RdBu"
SALIENCE_CMAP = "Blues"
STANCE_COLOURS = {"against": "#B2182B", "neutral": "#7F7F7F", "favour": "#2166AC"}
INDEX_COLUMNS = ["name", "title", "caption", "notebook", "inputs_sha256", "files"]
FIGURES_ENV = "FRAMING_FIGURES"

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": None,
    "svg.hashsalt": "framing",
    "svg.fonttype": "path",
    "path.simplify": True,
    "image.cmap": "viridis",
}


def apply_style() -> None:
    """Use the house style for every figure made after this call."""
    matplotlib.rcParams.update(STYLE)


def figures_dir() -> Path:
    """``$FRAMING_FIGURES`` if set, else ``figures/`` in the project root above the cwd."""
    configured = os.environ.get(FIGURES_ENV)
    if configured:
        return Path(configured)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() and (folder / "framing").is_dir():
            return folder / "figures"
    return here / "figures"


def source_line(corpus: str) -> str:
    return f"Source: {corpus}; framing {__version__}"


def finish(fig, title: str, corpus: str) -> None:
    """Put the finding as the title and the source line under the figure."""
    fig.suptitle(title, x=0.01, ha="left")
    fig.text(0.01, 0.005, source_line(corpus), ha="left", va="bottom", fontsize=8, color="#555555")


def inputs_digest(inputs: Iterable) -> str:
    """SHA-256 over the inputs a figure was made from: DataFrames (as CSV) or file paths."""
    digest = hashlib.sha256()
    for item in inputs:
        if isinstance(item, pd.DataFrame):
            digest.update(item.to_csv(index=False, lineterminator="\n", float_format="%.6f").encode())
        elif isinstance(item, (str, Path)) and Path(item).is_file():
            digest.update(Path(item).read_bytes())
        else:
            digest.update(repr(item).encode())
    return digest.hexdigest()


def _render(fig, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"], "svg.fonttype": "path"}):
        fig.savefig(buffer, format=fmt, dpi=300, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def save_figure(fig, name: str, *, title: str = "", caption: str = "", notebook: str = "",
                inputs: Iterable = ()) -> list[Path]:
    """Write ``NAME.svg`` and ``NAME.png`` and record the figure in ``index.csv``."""
    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in ("svg", "png"):
        path = folder / f"{name}.{fmt}"
        write_bytes_atomic(path, _render(fig, fmt))
        paths.append(path)
    index_path = folder / "index.csv"
    index = (pd.read_csv(index_path, dtype=str, keep_default_na=False)
             if index_path.exists() else pd.DataFrame(columns=INDEX_COLUMNS))
    row = {"name": name, "title": title or (fig._suptitle.get_text() if fig._suptitle else ""),
           "caption": caption, "notebook": notebook, "inputs_sha256": inputs_digest(inputs),
           "files": ";".join(p.name for p in paths)}
    index = pd.concat([index[index["name"] != name], pd.DataFrame([row])], ignore_index=True)
    index = index[INDEX_COLUMNS].sort_values("name").reset_index(drop=True)
    write_bytes_atomic(index_path, index.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return paths


# ----------------------------------------------------------------------------- charts


def heatmap(values: pd.DataFrame, labels: pd.DataFrame | None = None, *, diverging: bool,
            ax=None, colorbar_label: str = "", vmax: float | None = None):
    """An annotated heatmap of ``values`` (rows x columns); NaN cells are left blank.

    ``diverging=True`` uses the stance palette centred on 0; otherwise a sequential one.
    ``labels`` gives the text of each cell (default: the value with two decimals).
    """
    ax = ax or plt.gca()
    data = values.to_numpy(dtype=float)
    masked = np.ma.masked_invalid(data)
    if diverging:
        limit = vmax or max(0.05, float(np.nanmax(np.abs(data))) if np.isfinite(data).any() else 1.0)
        norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
        cmap = plt.get_cmap(STANCE_CMAP).copy()
    else:
        norm = matplotlib.colors.Normalize(vmin=0, vmax=vmax or np.nanmax(data))
        cmap = plt.get_cmap(SALIENCE_CMAP).copy()
    cmap.set_bad("#F2F2F2")
    image = ax.imshow(masked, cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(values.shape[1]), values.columns, rotation=0)
    ax.set_yticks(range(values.shape[0]), values.index)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if not np.isfinite(data[i, j]):
                continue
            text = labels.iat[i, j] if labels is not None else f"{data[i, j]:.2f}"
            rgba = cmap(norm(data[i, j]))
            luminance = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if luminance < 0.5 else "black")
    colorbar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    colorbar.set_label(colorbar_label)
    colorbar.outline.set_visible(False)
    return image


def interval_plot(scores: pd.DataFrame, *, ax=None, group: str = "article", item: str = "country",
                  label_of=None):
    """Stance with its 95% interval, one row per ``item`` grouped by ``group``.

    ``scores`` needs columns ``group, item, stance, stance_low, stance_high, stance_label``.
    """
    ax = ax or plt.gca()
    rows = scores.reset_index(drop=True)
    y = np.arange(len(rows))[::-1]
    colours = [STANCE_COLOURS.get(label, "#7F7F7F") for label in rows["stance_label"]]
    ax.hlines(y, rows["stance_low"], rows["stance_high"], color=colours, linewidth=2)
    ax.scatter(rows["stance"], y, color=colours, zorder=3, s=28)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, [label_of(r) if label_of else f"{r[group]} · {r[item]}" for _, r in rows.iterrows()])
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("stance toward the target (−1 against … +1 favour), mean and 95% bootstrap interval")
    previous = None
    for yi, value in zip(y, rows[group]):
        if previous is not None and value != previous:
            ax.axhline(yi + 0.5, color="#CCCCCC", linewidth=0.6)
        previous = value
    return ax
