"""Notebooks: stored the way the project keeps them, so nbval and readers can rely on them.

Each notebook asks its question in its first (markdown) cell and answers it in words in
its last; it is stored executed, top to bottom, with its outputs (never stripped), no
error and no warning; figures show inline as PNG; no output holds a machine-specific
string (absolute path, memory address); every figure it saves is named after it and
listed in ``figures/index.csv``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_SPECIFIC = re.compile(r"/(?:home|Users|root|tmp|private|work)/|[A-Za-z]:\\\\|0x[0-9a-f]{6,}")
SAVED = re.compile(r"save_figure\(\s*fig,\s*\"([^\"]+)\"")


def _read(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return notebook


def _outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            yield from ((cell, output) for output in cell.outputs)


def test_the_six_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    assert [n[:2] for n in names] == ["01", "02", "03", "04", "05", "06"], names


#: notebooks that are instruments rather than views of results, and so make no chart: the
#: coding notebook (a chart of the sample's strata would show the coder the system's labels)
NO_FIGURES = ("06_code_a_sample.ipynb",)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_question_first_answer_last(path):
    cells = _read(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert "**Question:**" in cells[0].source
    assert cells[-1].cell_type == "markdown" and cells[-1].source.startswith("## Answer")
    assert "to be written" not in cells[-1].source
    assert len(cells[-1].source.split()) >= 20, "the answer should be stated in words"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_executed_in_order_with_outputs(path):
    notebook = _read(path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        "execute top to bottom in a fresh kernel: python -m framing.notebooks"
    assert any(c.outputs for c in code), "outputs were stripped"
    for cell, output in _outputs(notebook):
        assert output.output_type != "error", f"cell {cell.execution_count} raised {output.ename}"
        assert not (output.output_type == "stream" and output.name == "stderr"), \
            f"cell {cell.execution_count} wrote to stderr: {output.text[:200]}"
    for cell in code:
        assert "execution" not in cell.metadata, "cell timings are recorded (use record_timing=False)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_inline_as_png_and_no_machine_specific_output(path):
    notebook = _read(path)
    source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "InlineBackend.figure_formats = ['png']" in source
    images = 0
    for cell, output in _outputs(notebook):
        data = output.get("data", {})
        assert "image/svg+xml" not in data, f"cell {cell.execution_count}: inline SVG"
        images += "image/png" in data
        text = output.get("text", "") + "".join(v for k, v in data.items() if k.startswith("text/"))
        match = MACHINE_SPECIFIC.search(text)
        assert match is None, f"cell {cell.execution_count}: machine-specific output {match.group(0)!r}"
    index = pd.read_csv(ROOT / "figures" / "index.csv", dtype=str, keep_default_na=False)
    # Charts are chosen by the corpus (report.chart_plan): count what the seeds study saved.
    saved = int((index["notebook"] == path.name).sum())
    assert images == saved, "each saved figure is also shown inline, once"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_saved_figures_are_named_after_the_notebook_and_indexed(path):
    source = "\n".join(c.source for c in _read(path).cells if c.cell_type == "code")
    names = SAVED.findall(source)
    assert names or path.name in NO_FIGURES, "each notebook saves at least one figure"
    index = pd.read_csv(ROOT / "figures" / "index.csv", dtype=str, keep_default_na=False)
    listed = dict(zip(index["name"], index["notebook"]))
    for name in names:  # charts for larger corpora are not drawn for the seeds: not indexed
        assert name.startswith(path.name[:3]), f"{name}: name it {path.name[:3]}..."
        assert listed.get(name, path.name) == path.name, f"{name}: indexed for another notebook"
    mine = [n for n, nb in listed.items() if nb == path.name]
    assert all(n.startswith(path.name[:3]) for n in mine)
    assert mine or path.name in NO_FIGURES, "its figures are in figures/index.csv"
