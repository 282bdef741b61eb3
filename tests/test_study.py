"""`framing study`: a second study, toward China, on the stance corpus's test split (issue 13, item 6).

The corpus is a small multi-outlet, dated one (``data/stance/articles.jsonl``, the
test articles whose targets include CHN). The study is run through the command line into
a temporary folder; the test checks that the notebooks executed without error, that
``figures/`` and its ``index.csv`` agree, that nothing in the folder names the machine's
paths, and that a rerun into the same folder gives the same bytes. Bad input and failed
or interrupted studies must leave the output folder as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from framing import study
from framing.cli import main

ROOT = Path(__file__).resolve().parents[1]
STANCE_ARTICLES = ROOT / "data" / "stance" / "articles.jsonl"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative POSIX path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_chn_corpus(path: Path) -> int:
    rows = []
    with STANCE_ARTICLES.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["split"] == "test" and "CHN" in record["targets"]:
                rows.append({k: record[k] for k in ("id", "text", "outlet", "date", "genre")})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


@pytest.fixture(scope="module")
def chn_study(tmp_path_factory):
    """The CHN study, run twice into the same folder; returns (corpus, out, first, second)."""
    base = tmp_path_factory.mktemp("chn")
    corpus = base / "chn_test.jsonl"
    assert _write_chn_corpus(corpus) >= 10
    out = base / "study"
    figures_env = os.environ.get(study.FIGURES_ENV)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 0
    assert os.environ.get(study.FIGURES_ENV) == figures_env, "the study must restore $FRAMING_FIGURES"
    first = _snapshot(out)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 0
    second = _snapshot(out)
    return corpus, out, first, second


def test_study_folder_holds_results_notebooks_figures_and_marker(chn_study):
    corpus, out, first, _ = chn_study
    assert sorted(p.name for p in out.iterdir()) == ["figures", "notebooks", "results", "study.json"]
    for table in ("articles", "sentences", "mentions", "evidence", "scores", "cues", "corpus_countries"):
        assert (out / "results" / f"{table}.csv").is_file()
    marker = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert marker["target"] == "CHN"
    assert marker["corpus"] == "../chn_test.jsonl"
    assert marker["articles"] == len(corpus.read_text(encoding="utf-8").splitlines())
    expected = [p.name for p in study.template_notebooks()]  # 01-04: no 05, nothing past it
    assert marker["notebooks"] == expected and "05_validation.ipynb" not in expected
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == sorted(expected + ["sanitize.cfg"])
    assert not list(out.parent.glob(".study.study-*")), "the staging folder was left behind"


def test_notebooks_executed_with_the_study_parameters_and_without_error(chn_study):
    _, out, _, _ = chn_study
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        assert "papermill" not in notebook.metadata
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), path.name
        injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1, path.name
        assert 'TARGET = "CHN"' in injected[0].source
        assert 'RESULTS = "../results"' in injected[0].source
        for cell in code:
            assert "papermill" not in cell.metadata and "execution" not in cell.metadata
            for output in cell.outputs:
                assert output.output_type != "error", f"{path.name}: {output.get('ename')}"
                assert "Traceback" not in output.get("text", ""), path.name


def test_figures_and_index_agree(chn_study):
    _, out, _, _ = chn_study
    figures = out / "figures"
    index = pd.read_csv(figures / "index.csv", dtype=str, keep_default_na=False)
    assert len(index) > 0 and index["name"].is_unique
    notebooks = {p.name for p in (out / "notebooks").glob("*.ipynb")}
    listed = set()
    for row in index.itertuples():
        assert row.title and row.notebook in notebooks, row.name
        assert row.name.startswith(row.notebook[:2])
        assert len(row.inputs_sha256) == 64 and int(row.inputs_sha256, 16) >= 0
        files = row.files.split(";")
        assert sorted(files) == sorted([f"{row.name}.png", f"{row.name}.svg"])
        assert (figures / f"{row.name}.png").read_bytes().startswith(PNG_SIGNATURE)
        assert ET.parse(figures / f"{row.name}.svg").getroot().tag.endswith("svg")
        listed.update(files)
    on_disk = {p.name for p in figures.iterdir() if p.name != "index.csv"}
    assert on_disk == listed, "every figure file is indexed and every indexed file exists"


def test_nothing_in_the_study_names_a_machine_path(chn_study):
    corpus, out, first, _ = chn_study
    for name, data in first.items():
        text = data.decode("utf-8", errors="replace")
        assert str(corpus.parent) not in text and str(ROOT) not in text, name


def test_rerun_is_byte_identical(chn_study):
    _, _, first, second = chn_study
    assert first.keys() == second.keys()
    changed = [name for name in first if first[name] != second[name]]
    assert not changed, f"a rerun changed {changed}"


# ----------------------------------------------------------------------------- bad input


def _one_error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("framing: error: ")
    return lines[0]


def test_the_study_sets_the_variable_save_figure_reads():
    from framing import figures

    assert study.FIGURES_ENV == figures.FIGURES_ENV


def test_missing_corpus(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", str(tmp_path / "nope.jsonl"), "--out", str(out)]) == 2
    assert "nope.jsonl" in _one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_unknown_target(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    _write_chn_corpus(corpus)
    assert main(["study", str(corpus), "--target", "XQZ", "--out", str(tmp_path / "study")]) == 2
    assert "XQZ" in _one_error_line(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]


def test_output_folder_that_is_not_a_study(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    _write_chn_corpus(corpus)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    before = _snapshot(tmp_path)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 2
    assert "not a previous study" in _one_error_line(capsys)
    assert _snapshot(tmp_path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "mine"]
    # a file where the folder should be
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out / "notes.txt")]) == 2
    assert "not a folder" in _one_error_line(capsys)
    assert _snapshot(tmp_path) == before


def test_bad_corpus_found_while_scoring_leaves_nothing(tmp_path, capsys):
    corpus = tmp_path / "empty.jsonl"
    corpus.write_text("")
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(tmp_path / "study")]) == 2
    _one_error_line(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["empty.jsonl"]


# ----------------------------------------------------------------------------- failures


def _copy_template(template, dest, parameters, timeout=0):
    """A stand-in for executing a notebook: the template, unexecuted (no kernel, fast)."""
    shutil.copyfile(template, dest)


@pytest.fixture
def previous(tmp_path, monkeypatch):
    """A previous study (notebooks copied, not executed), a file of the user's beside its
    parts, and the bytes of it all: (corpus, out, bytes)."""
    corpus = tmp_path / "chn_test.jsonl"
    _write_chn_corpus(corpus)
    out = tmp_path / "previous"
    with monkeypatch.context() as patch:
        patch.setattr(study, "execute_notebook", _copy_template)
        assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 0
    assert study.is_study(out) and (out / "results" / "scores.csv").is_file()
    (out / "notes.txt").write_text("kept across reruns\n")
    return corpus, out, _snapshot(out)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.study-")]


@pytest.mark.parametrize("error, status", [(study.NotebookFailed("03: cell 4 raised KeyError"), 1),
                                           (KeyboardInterrupt(), 130)])
def test_failed_or_interrupted_study_leaves_the_previous_one(previous, monkeypatch, capsys, error, status):
    corpus, out, before = previous
    calls = []

    def half_then_fail(template, dest, parameters, timeout=0):
        calls.append(template.name)
        dest.write_text("half-written")
        if len(calls) == 2:
            raise error

    monkeypatch.setattr(study, "execute_notebook", half_then_fail)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == status
    assert len(calls) == 2
    assert len([line for line in capsys.readouterr().err.splitlines() if line.startswith("framing: ")]) == 1
    assert _snapshot(out) == before
    assert not _leftovers(out)


def test_a_failed_swap_puts_the_previous_study_back(previous, monkeypatch):
    corpus, out, before = previous

    monkeypatch.setattr(study, "execute_notebook", _copy_template)
    real_rename, renames = os.rename, []

    def rename(src, dst):
        renames.append((src, dst))
        if len(renames) == 4:  # results swapped, old notebooks moved aside: new notebooks fail
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(study.os, "rename", rename)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 2
    assert len(renames) > 4
    assert _snapshot(out) == before
    assert not _leftovers(out)


def test_a_rerun_replaces_the_parts_and_keeps_other_files(previous, monkeypatch):
    corpus, out, before = previous
    (out / "figures" / "stale.png").write_bytes(b"not made by this study")
    monkeypatch.setattr(study, "execute_notebook", _copy_template)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 0
    assert _snapshot(out) == before  # the stale figure is gone, notes.txt is kept
    assert not _leftovers(out)


def test_a_new_study_appears_whole_or_not_at_all(previous, monkeypatch, tmp_path):
    corpus, _, _ = previous

    def fail(template, dest, parameters, timeout=0):
        raise study.NotebookFailed("no kernel")

    monkeypatch.setattr(study, "execute_notebook", fail)
    out = tmp_path / "new"
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out)]) == 1
    assert not out.exists() and not _leftovers(out)


def test_sigterm_during_the_notebooks_leaves_the_previous_study(previous, tmp_path):
    """A real SIGTERM (as from `kill` or a CI timeout) while a notebook runs: exit 143, the
    staging folder is removed and the previous study is untouched."""
    import signal
    import subprocess
    import sys
    import time

    corpus, out, before = previous
    started = tmp_path / "notebook-started"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from framing import study\n"
        "from framing.cli import main\n"
        "def slow(template, dest, parameters, timeout=0):\n"
        f"    Path({str(started)!r}).touch()\n"
        "    time.sleep(60)\n"
        "study.execute_notebook = slow\n"
        f"sys.exit(main(['study', {str(corpus)!r}, '--target', 'CHN', '--out', {str(out)!r}]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert started.exists(), proc.stderr.read() if proc.poll() is not None else "no notebook started"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines() == ["framing: interrupted; no partial output was left"]
    assert _snapshot(out) == before
    assert not _leftovers(out)


def test_which_notebooks_a_study_executes(tmp_path):
    for name in ("01_a.ipynb", "05_validation.ipynb", "06_tool.ipynb", "scratch.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in study.template_notebooks(tmp_path)] == ["01_a.ipynb"]
    assert [p.name for p in study.template_notebooks(tmp_path, repository=True)] == [
        "01_a.ipynb", "05_validation.ipynb", "06_tool.ipynb", "scratch.ipynb"]
    with pytest.raises(study.StudyInputError):
        study.template_notebooks(tmp_path / "none")


def _tiny_notebook(path: Path, parameters: str | None, code: str) -> None:
    cells = []
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells.append(nbformat.v4.new_code_cell(code))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for k, cell in enumerate(notebook.cells):
        cell["id"] = f"c{k}"
    nbformat.write(notebook, path)


def test_templates_get_only_the_parameters_they_declare(tmp_path):
    """Real papermill and kernels on two tiny templates (--notebooks): one declares RESULTS and
    TARGET and saves a chart, one declares nothing; a failing cell is reported by name."""
    templates = tmp_path / "templates"
    templates.mkdir()
    _tiny_notebook(templates / "01_one.ipynb", 'RESULTS = "x"\nTARGET = "RUS"', (
        "import matplotlib.pyplot as plt\nfrom framing import figures, report\n"
        "result = report.load_results(RESULTS, target=TARGET)\n"
        "fig, ax = plt.subplots()\nax.bar([0], [len(result.articles)])\n"
        "figures.save_figure(fig, '01_count', title='articles', notebook='01_one.ipynb',"
        " inputs=[result.articles])\nprint(TARGET, len(result.articles))"))
    _tiny_notebook(templates / "02_two.ipynb", None, "print('no parameters')")
    corpus = tmp_path / "c.jsonl"
    _write_chn_corpus(corpus)
    out = tmp_path / "study"
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out), "--notebooks", str(templates)]) == 0
    one = nbformat.read(out / "notebooks" / "01_one.ipynb", as_version=4)
    assert one.cells[1].metadata["tags"] == ["injected-parameters"]
    assert one.cells[1].source.splitlines()[1:] == ['RESULTS = "../results"', 'TARGET = "CHN"']
    printed = [o["text"] for o in one.cells[2].outputs if o.output_type == "stream"]
    assert printed == [f"CHN {_count_lines(corpus)}\n"]
    two = nbformat.read(out / "notebooks" / "02_two.ipynb", as_version=4)
    assert [c.source for c in two.cells] == ["print('no parameters')"]
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["01_count.png", "01_count.svg", "index.csv"]
    assert not (out / "notebooks" / "sanitize.cfg").exists()  # the templates folder has none

    _tiny_notebook(templates / "02_two.ipynb", None, "raise KeyError('no such column')")
    before = _snapshot(out)
    assert main(["study", str(corpus), "--target", "CHN", "--out", str(out), "--notebooks", str(templates)]) == 1
    assert _snapshot(out) == before and not _leftovers(out)


def _count_lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_staging_left_by_a_killed_study_is_removed_by_the_next(tmp_path):
    import socket
    import subprocess
    import sys

    out = tmp_path / "study"
    host = socket.gethostname()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # a process that has exited
    dead = tmp_path / f".study.study-{host}-{gone}-abc123"
    alive = tmp_path / f".study.study-{host}-{os.getppid()}-def456"   # a running study
    elsewhere = tmp_path / f".study.study-otherhost-{gone}-ghi789"   # another machine's
    for folder in (dead, alive, elsewhere):
        (folder / "results").mkdir(parents=True)
    assert study._remove_stale_staging(out) == [dead]
    assert not dead.exists() and alive.is_dir() and elsewhere.is_dir()
