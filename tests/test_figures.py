"""Figures: the committed files in figures/ are exactly what the notebooks make, byte for byte.

* Every notebook is re-executed (``framing.notebooks.execute``; ``make figures`` runs the
  same notebooks through ``framing study``) with ``FRAMING_FIGURES`` pointing at a temporary folder, and each regenerated
  file must equal the committed one. A failure names the figures that changed: rerun
  ``make figures``, look at them, and commit them if the change is intended.
* ``figures/index.csv`` lists exactly the files in ``figures/``.
* ``save_figure`` is byte-deterministic across processes and writes no date or version
  of the software into the files.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "figures"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    from framing.notebooks import execute

    folder = tmp_path_factory.mktemp("figures")
    previous = os.environ.get("FRAMING_FIGURES")
    os.environ["FRAMING_FIGURES"] = str(folder)  # the kernels inherit this environment
    try:
        for notebook in NOTEBOOKS:
            execute(notebook)
    finally:
        if previous is None:
            os.environ.pop("FRAMING_FIGURES", None)
        else:
            os.environ["FRAMING_FIGURES"] = previous
    return folder


def test_there_are_notebooks_and_committed_figures():
    assert NOTEBOOKS, "no notebooks in notebooks/"
    assert (FIGURES / "index.csv").is_file(), "figures/index.csv is missing: run `make figures`"


def test_notebooks_regenerate_the_committed_figures_byte_for_byte(regenerated):
    committed, fresh = _files(FIGURES), _files(regenerated)
    assert fresh - committed == set(), f"new figures not committed: {sorted(fresh - committed)}"
    assert committed - fresh == set(), f"committed figures no notebook makes: {sorted(committed - fresh)}"
    changed = sorted(name for name in committed
                     if (FIGURES / name).read_bytes() != (regenerated / name).read_bytes())
    assert not changed, (f"figures changed when the notebooks were rerun: {changed}; "
                         "run `make figures`, review them and commit")


def test_index_lists_exactly_the_files_in_figures():
    index = pd.read_csv(FIGURES / "index.csv", dtype=str, keep_default_na=False)
    assert list(index.columns) == ["name", "title", "caption", "notebook", "inputs_sha256", "files"]
    assert index["name"].is_unique
    listed = [f for files in index["files"] for f in files.split(";") if f]
    assert len(listed) == len(set(listed))
    present = _files(FIGURES) - {"index.csv"}
    assert set(listed) - present == set(), f"listed in index.csv but missing: {sorted(set(listed) - present)}"
    assert present - set(listed) == set(), f"in figures/ but not in index.csv: {sorted(present - set(listed))}"
    for row in index.itertuples(index=False):
        assert sorted(row.files.split(";")) == [f"{row.name}.png", f"{row.name}.svg"]
        assert row.title, f"{row.name}: no title"
        assert (ROOT / "notebooks" / row.notebook).is_file(), f"{row.name}: unknown notebook {row.notebook!r}"
        assert row.name[:2] == row.notebook[:2], f"{row.name}: not named after its notebook {row.notebook}"
        assert re.fullmatch(r"[0-9a-f]{64}", row.inputs_sha256)


_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from framing import figures

    fig, (a, b) = figures.new_figure(2.5, ncols=2)
    a.plot(np.arange(10), np.arange(10) ** 2, label="squares")
    a.legend()
    figures.heatmap(__import__("pandas").DataFrame([[0.5, -0.2], [float("nan"), 0.9]],
                    index=["x", "y"], columns=["p", "q"]), diverging=True, ax=b)
    figures.finish(fig, "A finding stated as the title")
    figures.save_figure(fig, "unit_test", title="A finding", caption="c", notebook="00_test.ipynb",
                        inputs=["x"])
""")


def _save_in_subprocess(folder: Path, hashseed: str) -> None:
    env = {**os.environ, "FRAMING_FIGURES": str(folder), "PYTHONHASHSEED": hashseed, "MPLBACKEND": "agg"}
    subprocess.run([sys.executable, "-c", _SCRIPT], check=True, env=env, cwd=ROOT)


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return chunks


def test_save_figure_is_byte_deterministic_and_writes_no_date(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _save_in_subprocess(first, "1")
    _save_in_subprocess(second, "2")
    assert _files(first) == {"unit_test.svg", "unit_test.png", "index.csv"}
    for name in _files(first):
        assert (first / name).read_bytes() == (second / name).read_bytes(), f"{name} differs between runs"
    svg = (first / "unit_test.svg").read_text(encoding="utf-8")
    assert "Matplotlib v" not in svg and "matplotlib.org" not in svg
    assert "<dc:date>" not in svg
    assert not re.search(r"\d{4}-\d{2}-\d{2}", svg), "a date in the SVG"
    png = (first / "unit_test.png").read_bytes()
    chunks = _png_chunks(png)
    assert b"tIME" not in chunks
    assert b"Software" not in png and b"matplotlib" not in png.lower()
    index = pd.read_csv(first / "index.csv", dtype=str, keep_default_na=False)
    assert index["name"].tolist() == ["unit_test"]
    assert index["files"].tolist() == ["unit_test.svg;unit_test.png"]


def test_colour_bar_ticks_are_few_signed_and_apart():
    """Issue 13: the colour-bar tick labels ran together. At most five, signed, and their
    text boxes do not overlap at print width."""
    import matplotlib.pyplot as plt

    from framing import figures

    values = pd.DataFrame([[-0.73, 0.41], [0.05, -8.6]], index=["a", "b"], columns=["x", "y"])
    for vmax in (1.0, None):
        fig, ax = figures.new_figure(2.5)
        figures.heatmap(values, diverging=True, ax=ax, vmax=vmax, colorbar_label=figures.stance_label("China"))
        fig.canvas.draw()
        bar_ax = fig.axes[-1]
        labels = [t for t in bar_ax.get_xticklabels() if t.get_text() and t.get_visible()]
        assert 3 <= len(labels) <= 5
        assert "-" not in "".join(t.get_text() for t in labels)  # a true minus sign
        boxes = sorted((t.get_window_extent() for t in labels), key=lambda b: b.x0)
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:])), [t.get_text() for t in labels]
        assert bar_ax.get_xlabel() == "stance toward China (−1 against … +1 favour)"
        plt.close(fig)


def test_corpus_label_and_source_line_follow_the_study():
    from framing import figures

    assert figures.corpus_label("five news articles", "../seeds") == "five news articles (seeds/)"
    assert figures.corpus_label("3,000 articles on China", "/data/china.jsonl") == "3,000 articles on China (china.jsonl)"
    assert "Russia" not in figures.source_line(figures.corpus_label("articles on China", "c.csv"))
