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
import textwrap
from collections.abc import Iterable
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from . import __version__
from .output import write_bytes_atomic

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


#: Print width of a figure: 16 cm, the text width of an A4 page with normal margins.
WIDTH = 16 / 2.54
#: Room kept under the axes for the source line, in inches.
SOURCE_HEIGHT = 0.28
#: The corpus named in the source line of the study's figures.
CORPUS = "five news articles on Russia and its allies (seeds/)"


def source_line(corpus: str = CORPUS) -> str:
    return f"Source: {corpus}; framing {__version__}"


def corpus_label(title: str, corpus=None) -> str:
    """What the source line names: the study's ``TITLE`` and the corpus's file or folder
    name ('five news articles on Russia and its allies (seeds/)')."""
    if not corpus:
        return title
    path = Path(str(corpus))
    name = path.name + ("/" if not path.suffix else "")
    return f"{title} ({name})"


def stance_label(target_name: str, interval: bool = False) -> str:
    """The axis or colour-bar label of a stance scale toward ``target_name``."""
    text = f"stance toward {target_name} (−1 against … +1 favour)"
    return text + "\nmean and 95% interval" if interval else text


def _signed_tick(value, _position=None) -> str:
    if not value:
        return "0"
    text = f"{value:+.0f}" if float(value).is_integer() else f"{value:+.1f}"
    return text.replace("-", "−")


def new_figure(height: float, ncols: int = 1, nrows: int = 1, width: float = WIDTH, **kwargs):
    """A figure at print width (16 cm) with constrained layout; returns ``(fig, axes)``."""
    apply_style()
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)


def finish(fig, title: str, corpus: str = CORPUS) -> None:
    """Put the finding as the title (wrapped to the figure width) and the source line under it.

    With constrained layout the axes are kept clear of the source line.
    """
    width_in = fig.get_figwidth()
    size = matplotlib.rcParams["figure.titlesize"]
    size = matplotlib.font_manager.FontProperties(size=size).get_size_in_points()
    chars = max(20, int(width_in * 72 / (size * 0.62)))
    fig.suptitle(textwrap.fill(title, chars), x=0.01, ha="left")
    fig.text(0.01, 0.01, source_line(corpus), ha="left", va="bottom", fontsize=8, color="#555555")
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        bottom = SOURCE_HEIGHT / fig.get_figheight()
        engine.set(rect=(0, bottom, 1, 1 - bottom))


def show(fig) -> None:
    """Display ``fig`` in a notebook (as PNG) and close it, so it is shown exactly once."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


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
        fig.savefig(buffer, format=fmt, dpi=300, metadata=metadata, facecolor="white",
                    backend="agg" if fmt == "png" else fmt)
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


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _text_colour(rgba) -> str:
    luminance = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
    return "white" if luminance < 0.5 else "black"


def heatmap(values: pd.DataFrame, labels: pd.DataFrame | None = None, *, diverging: bool,
            ax=None, colorbar_label: str = "", vmax: float | None = None, fontsize: float = 8,
            cmap: str | None = None, colorbar: str | None = "bottom", xlabels_top: bool = True):
    """An annotated heatmap of ``values`` (rows x columns); NaN cells are left light grey.

    ``diverging=True`` uses the stance palette centred on 0; otherwise a sequential one.
    ``labels`` gives the text of each cell (default: the value with two decimals); an
    empty label leaves the cell unannotated. Column labels go on top, as in a table;
    ``colorbar`` is where the colour scale goes (``"bottom"``, ``"right"`` or None).
    """
    ax = ax or plt.gca()
    data = values.to_numpy(dtype=float)
    masked = np.ma.masked_invalid(data)
    finite = np.isfinite(data).any()
    if diverging:
        limit = vmax or max(0.05, float(np.nanmax(np.abs(data))) if finite else 1.0)
        norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
        colours = plt.get_cmap(cmap or STANCE_CMAP).copy()
    else:
        top = vmax or (float(np.nanmax(data)) if finite else 1.0)
        norm = matplotlib.colors.Normalize(vmin=0, vmax=max(top, 1e-9))
        colours = plt.get_cmap(cmap or SALIENCE_CMAP).copy()
    colours = colours.with_extremes(bad="#F2F2F2")
    image = ax.imshow(masked, cmap=colours, norm=norm, aspect="auto", interpolation="nearest")
    columns = [str(c) for c in values.columns]
    if values.shape[1] > 7:  # many columns: one slanted line each, so neighbours never collide
        columns = [_shorten(c.replace("\n", " "), 24) for c in columns]
        ax.set_xticks(range(values.shape[1]), columns, fontsize=8, rotation=35,
                      ha="left" if xlabels_top else "right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(values.shape[1]), columns, fontsize=8.5)
    ax.set_yticks(range(values.shape[0]), [str(i) for i in values.index])
    if xlabels_top:
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if not np.isfinite(data[i, j]):
                continue
            text = labels.iat[i, j] if labels is not None else f"{data[i, j]:.2f}"
            if not text:
                continue
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color=_text_colour(colours(norm(data[i, j]))))
    if colorbar == "bottom":
        bar = ax.figure.colorbar(image, ax=ax, location="bottom", shrink=0.6, aspect=35, pad=0.02)
    elif colorbar:
        bar = ax.figure.colorbar(image, ax=ax, location=colorbar, fraction=0.05, pad=0.02, aspect=30)
    if colorbar:
        bar.set_label(colorbar_label, fontsize=9)
        bar.outline.set_visible(False)
        bar.ax.tick_params(length=2, labelsize=8)
        # Five ticks at most (the ends, the middle, the quarters), so labels never run together.
        if diverging:
            limit = norm.vmax
            if limit == 1.0:
                bar.set_ticks([-1, -0.5, 0, 0.5, 1])
            else:
                bar.locator = matplotlib.ticker.MaxNLocator(nbins=4, symmetric=True)
                bar.update_ticks()
            bar.ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_signed_tick))
            bar.ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_signed_tick))
        else:
            bar.locator = matplotlib.ticker.MaxNLocator(nbins=4)
            bar.update_ticks()
    return image


def interval_plot(scores: pd.DataFrame, *, ax=None, group: str = "article", item: str = "country",
                  label_of=None, group_label_of=None, n: str | None = "target_sentences",
                  xlabel: str = "stance (−1 against … +1 favour), 95% interval",
                  band: float = 0.2):
    """Stance with its 95% interval, one row per ``item``, under a bold heading per ``group``.

    ``scores`` needs columns ``group, item, stance, stance_low, stance_high, stance_label``
    (and ``n``, whose value is written at the right of each row, if given). Rows keep
    the order of ``scores``. The grey zone is the neutral ``band``.
    """
    ax = ax or plt.gca()
    rows = scores.reset_index(drop=True)
    positions, ticks, bold = [], [], []
    y = 0
    previous = None
    for _, row in rows.iterrows():
        if previous is None or row[group] != previous:
            if previous is not None:
                y += 0.4
            ticks.append((y, group_label_of(row[group]) if group_label_of else str(row[group])))
            bold.append(True)
            y += 1
            previous = row[group]
        positions.append(y)
        ticks.append((y, label_of(row) if label_of else str(row[item])))
        bold.append(False)
        y += 1
    positions = -np.asarray(positions, dtype=float)
    colours = [STANCE_COLOURS.get(label, "#7F7F7F") for label in rows["stance_label"]]
    ax.axvspan(-band, band, color="#F2F2F2", zorder=0, linewidth=0)
    ax.axvline(0, color="#333333", linewidth=0.8, zorder=1)
    ax.hlines(positions, rows["stance_low"], rows["stance_high"], color=colours, linewidth=2.2, zorder=2)
    ax.scatter(rows["stance"], positions, color=colours, zorder=3, s=26)
    ax.set_yticks([-t for t, _ in ticks], [label for _, label in ticks])
    for tick, is_bold in zip(ax.get_yticklabels(), bold):
        if is_bold:
            tick.set_fontweight("bold")
            tick.set_color("#222222")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["−1", "−0.5", "0", "+0.5", "+1"])
    ax.set_ylim(-(y - 0.4), 0.6)
    ax.set_xlabel(xlabel)
    if n is not None:
        for yi, value in zip(positions, rows[n]):
            ax.text(1.0, yi, f"n={int(value):,}", transform=ax.get_yaxis_transform(), ha="left",
                    va="center", fontsize=8, color="#555555", clip_on=False)
    return ax


def stacked_barh(counts: pd.DataFrame, *, ax=None, colours=None, total_labels: bool = True,
                 legend_title: str = ""):
    """Horizontal stacked bars: one bar per row of ``counts``, one segment per column."""
    ax = ax or plt.gca()
    colours = colours or OKABE_ITO
    y = np.arange(len(counts))[::-1]
    left = np.zeros(len(counts))
    for k, column in enumerate(counts.columns):
        values = counts[column].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=colours[k % len(colours)], label=str(column),
                height=0.7, edgecolor="white", linewidth=0.6)
        for yi, x0, v in zip(y, left, values):
            if v >= 0.06 * max(1.0, counts.to_numpy(dtype=float).sum(axis=1).max()):
                rgba = matplotlib.colors.to_rgba(colours[k % len(colours)])
                ax.text(x0 + v / 2, yi, f"{v:.0f}", ha="center", va="center", fontsize=7.5,
                        color=_text_colour(rgba))
        left += values
    if total_labels:
        for yi, total in zip(y, left):
            ax.text(total, yi, f" {total:.0f}", ha="left", va="center", fontsize=8)
    ax.set_yticks(y, [str(i) for i in counts.index])
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, left.max() * 1.1 if len(left) and left.max() > 0 else 1)
    return ax


def confusion_plot(matrix: pd.DataFrame, *, ax=None, title: str = ""):
    """A confusion matrix (hand labels as rows, system labels as columns) with counts.

    The shading is the share of each row, so the diagonal reads as recall per class.
    """
    ax = ax or plt.gca()
    values = matrix.to_numpy(dtype=float)
    totals = values.sum(axis=1, keepdims=True)
    share = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    labels = pd.DataFrame([[f"{int(v)}" for v in row] for row in values],
                          index=matrix.index, columns=matrix.columns)
    heatmap(pd.DataFrame(share, index=matrix.index, columns=matrix.columns), labels, diverging=False,
            ax=ax, vmax=1.0, fontsize=10, cmap="Greys", colorbar=None, xlabels_top=False)
    ax.set_xlabel("system")
    ax.set_ylabel("hand label")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def quadrant_scatter(data: pd.DataFrame, x: str, y: str, *, hue: str, ax=None, palette=None,
                     x_band: float = 0.05, y_band: float = 0.2, quadrant_labels=None,
                     hue_label_of=None):
    """Scatter of ``y`` against ``x`` with the four sign quadrants named in their corners.

    Points inside the neutral bands (|x| < ``x_band`` or |y| < ``y_band``) are drawn hollow:
    they belong to no quadrant. ``quadrant_labels`` maps ``(sign_x, sign_y)`` to a text.
    """
    ax = ax or plt.gca()
    palette = palette or OKABE_ITO
    ax.axvspan(-x_band, x_band, color="#F2F2F2", zorder=0, linewidth=0)
    ax.axhspan(-y_band, y_band, color="#F2F2F2", zorder=0, linewidth=0)
    ax.axhline(0, color="#333333", linewidth=0.7)
    ax.axvline(0, color="#333333", linewidth=0.7)
    for k, (key, group) in enumerate(data.groupby(hue, sort=True)):
        colour = palette[k % len(palette)]
        inside = (group[x].abs() >= x_band) & (group[y].abs() >= y_band)
        ax.scatter(group.loc[inside, x], group.loc[inside, y], s=22, color=colour, alpha=0.85,
                   label=hue_label_of(key) if hue_label_of else str(key), zorder=3, linewidth=0)
        ax.scatter(group.loc[~inside, x], group.loc[~inside, y], s=22, facecolor="none",
                   edgecolor=colour, alpha=0.85, zorder=3, linewidth=0.8)
    ax.set_xlim(-1.05, 1.05)
    # The quadrant names sit beyond ±1 on the y axis, where no point can be.
    ax.set_ylim(-1.45, 1.45)
    ax.set_yticks([-1, -0.5, 0, 0.5, 1])
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    ax.spines["left"].set_bounds(-1, 1)
    for (sx, sy), text in (quadrant_labels or {}).items():
        ax.text(1.0 if sx > 0 else -1.0, 1.42 if sy > 0 else -1.42, text,
                ha="right" if sx > 0 else "left", va="top" if sy > 0 else "bottom", fontsize=8,
                color="#333333", bbox=dict(facecolor="white", edgecolor="#BBBBBB", linewidth=0.5,
                                           boxstyle="round,pad=0.25"), zorder=4)
    return ax


def time_multiples(table: pd.DataFrame, *, countries: list[str], periods: list[str], ncols: int = 3,
                   band: float = 0.2, ylabel: str = "stance", height_per_row: float = 1.55):
    """Small multiples of stance over time, one panel per country (``countries``, display
    names in ``table['country_name']``), ``periods`` on a shared x axis, the 95% interval as
    a band and the neutral ``band`` in grey; point size encodes the number of sentences.

    ``table`` is :func:`framing.report.group_stance` with ``by='period'``. Returns ``fig``.
    """
    nrows = int(np.ceil(len(countries) / ncols))
    fig, axes = new_figure(height_per_row * nrows + 1.0, ncols=ncols, nrows=nrows, sharex=True, sharey=True,
                           squeeze=False)
    x = {p: i for i, p in enumerate(periods)}
    biggest = max(1, int(table["sentences"].max())) if len(table) else 1
    step = max(1, int(np.ceil(len(periods) / 3)))  # three labels fit a panel's width
    for k, ax in enumerate(axes.flat):
        if k >= len(countries):
            ax.axis("off")
            continue
        rows = table[(table["country_name"] == countries[k]) & table["group"].isin(x)]
        rows = rows.assign(x=rows["group"].map(x)).sort_values("x")
        ax.axhspan(-band, band, color="#F2F2F2", linewidth=0, zorder=0)
        ax.axhline(0, color="#333333", linewidth=0.6, zorder=1)
        ax.fill_between(rows["x"], rows["stance_low"], rows["stance_high"], color=OKABE_ITO[0], alpha=0.2,
                        linewidth=0, zorder=2)
        ax.plot(rows["x"], rows["stance"], color=OKABE_ITO[0], linewidth=1.2, zorder=3)
        ax.scatter(rows["x"], rows["stance"], s=4 + 30 * rows["sentences"] / biggest, color=OKABE_ITO[0],
                   zorder=4, linewidth=0)
        ax.set_title(countries[k], loc="left", fontsize=9, fontweight="bold")
        ax.set_ylim(-1, 1)
        ax.set_yticks([-1, 0, 1], ["−1", "0", "+1"])
        ax.set_xticks(range(0, len(periods), step), [periods[i] for i in range(0, len(periods), step)],
                      fontsize=7.5)
        if k % ncols == 0:
            ax.set_ylabel(ylabel, fontsize=8)
    return fig


def wrap(text, width: int = 12) -> str:
    """``text`` wrapped to ``width`` characters per line (column labels of a heatmap)."""
    return textwrap.fill(str(text), width)


def length_histograms(words: pd.Series, sentence_lengths: pd.DataFrame, bins: int = 30):
    """Two histograms for many articles: words per article, and words per sentence over the
    corpus (``sentence_lengths``: ``words, n`` sentences of that length). Returns ``fig``."""
    fig, (left, right) = new_figure(2.9, ncols=2)
    left.hist(words, bins=bins, color=OKABE_ITO[0], edgecolor="white", linewidth=0.4)
    left.axvline(float(np.median(words)), color="black", linewidth=1.2)
    left.text(float(np.median(words)), 1.0, f" median {int(np.median(words)):,}", transform=left.get_xaxis_transform(),
              ha="left", va="top", fontsize=8)
    left.set_xlabel("words per article")
    left.set_ylabel("articles")
    lengths = sentence_lengths.groupby("words")["n"].sum()
    cut = int(np.ceil(np.percentile(np.repeat(lengths.index, lengths.to_numpy()), 99.5))) if len(lengths) else 1
    shown = lengths[lengths.index <= cut]
    right.bar(shown.index, shown.to_numpy(), width=1.0, color=OKABE_ITO[1], edgecolor="white", linewidth=0.2)
    cumulative = lengths.cumsum()
    median = int(cumulative.index[np.searchsorted(cumulative.to_numpy(), cumulative.iloc[-1] / 2)]) if len(lengths) else 0
    right.axvline(median, color="black", linewidth=1.2)
    right.text(median, 1.0, f" median {median}", transform=right.get_xaxis_transform(), ha="left", va="top",
               fontsize=8)
    right.set_xlabel("words per sentence (99.5% shown)")
    right.set_ylabel("sentences")
    for ax in (left, right):
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    return fig


def articles_over_time(articles: pd.DataFrame, *, by: str | None, unit: str):
    """Articles per period, stacked by ``by`` (outlet or genre; None = one colour).
    Returns ``(fig, title)``; the title names the span and the busiest period."""
    from . import report

    periods = report.period_labels(articles["date"], unit)
    groups = report.article_groups(articles, by, top=7) if by else pd.Series("articles", index=articles["article_id"])
    table = pd.DataFrame({"period": periods.to_numpy(), "group": groups.reindex(articles["article_id"]).to_numpy()})
    table = table[table["period"] != "undated"]
    counts = table.groupby(["period", "group"]).size().unstack(fill_value=0).sort_index()
    counts = counts[report.column_order(pd.Series(counts.columns, index=counts.columns),
                                        pd.DataFrame({"article_id": counts.columns}))] \
        if by else counts
    fig, ax = new_figure(3.0)
    bottom = np.zeros(len(counts))
    x = np.arange(len(counts))
    for k, column in enumerate(counts.columns):
        ax.bar(x, counts[column], bottom=bottom, color=OKABE_ITO[k % len(OKABE_ITO)], width=0.8,
               label=str(column), linewidth=0)
        bottom += counts[column].to_numpy()
    step = max(1, int(np.ceil(len(counts) / 6)))  # six labels fit the print width
    ax.set_xticks(x[::step], list(counts.index[::step]), rotation=0, fontsize=7.5)
    ax.set_ylabel("articles")
    if by:
        fig.legend(loc="outside right center", frameon=False, fontsize=7.5, title=by, title_fontsize=8)
    total = counts.sum(axis=1)
    busiest = total.sort_index().sort_values(ascending=False, kind="stable")
    undated = int((periods == "undated").sum())
    title = (f"{int(total.sum()):,} dated articles from {counts.index[0]} to {counts.index[-1]}; the busiest "
             f"{unit} is {busiest.index[0]} ({int(busiest.iloc[0]):,})")
    if undated:
        title += f"; {undated:,} undated"
    return fig, title
