"""Study: one command from a corpus to a self-contained, citable study folder.

``run_study(corpus, target, out)`` (``framing study CORPUS --target ISO3 --out DIR``)

1. scores the corpus once with the streaming engine (:func:`framing.engine.score_corpus`,
   what ``framing score`` runs) into ``DIR/results/``;
2. executes the study notebooks (the templates in the repository's ``notebooks/``) with
   papermill, parameters ``CORPUS``, ``RESULTS``, ``TARGET`` and ``TITLE``, into
   ``DIR/notebooks/`` with their outputs, beside a copy of ``sanitize.cfg``;
3. while they run, ``$FRAMING_FIGURES`` points at the study's ``figures/``, so every chart
   saved through :func:`framing.figures.save_figure` lands there, listed in ``index.csv``;
4. writes ``DIR/study.json``, the marker that says "this folder is a study": corpus,
   target, title, package version and the SHA-256 of every input (no dates).

Paths inside the study are relative (``RESULTS = "../results"``), papermill's timings and
absolute paths are taken out of the stored notebooks, and figures and CSVs are
byte-deterministic, so the same study run twice gives the same bytes, and the folder can
be moved or archived as it is.

Atomicity. Everything is built in a staging folder beside ``DIR`` (``.DIR.study-*``, in
the same parent folder, so on the same file system). A new ``DIR`` is the staging folder
renamed in one step. An existing study is swapped in part by part (``results/``,
``notebooks/``, ``figures/``, ``study.json``) with SIGINT and SIGTERM held, the old parts
moved aside and deleted only after every part is in (put back if a rename fails); files
of ``DIR`` that are not study parts are left alone. While the notebooks run, the staging
folder holds a symbolic link to each of those other files, so a path a notebook reads
relative to itself (``../data/``, ``../../shared/``) resolves as it will from ``DIR``.

That is what makes the repository root a study (``make figures``): it carries
``study.json``, its ``results/``, ``notebooks/`` and ``figures/`` are replaced (other files
in ``notebooks/``, such as ``sanitize.cfg``, are carried over) and the rest of the
project is not touched. A failed or interrupted study removes its staging folder and
leaves ``DIR`` as it was.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

#: The file that marks a folder as a study made by ``framing study``.
MARKER = "study.json"
#: The parts of a study folder, replaced together on a rerun.
PARTS = ("results", "notebooks", "figures", MARKER)
#: The notebook templates: the repository's ``notebooks/`` beside the package.
TEMPLATES = Path(__file__).resolve().parent.parent / "notebooks"
#: The study notebooks, about the corpus, that any study executes.
TEMPLATE_GLOB = "0[1-5]*.ipynb"
#: Reads the repository's hand labels (``../data/``) and validates the package's models,
#: not the corpus: only the repository's own study executes it.
VALIDATION_NOTEBOOK = "05_validation.ipynb"
SANITIZE = "sanitize.cfg"
FIGURES_ENV = "FRAMING_FIGURES"  # framing.figures.FIGURES_ENV (not imported: it loads matplotlib)


class StudyInputError(ValueError):
    """Bad input to a study (the CLI prints it on one line and exits with status 2)."""


class NotebookFailed(RuntimeError):
    """A study notebook raised while it was executed."""


@dataclass
class StudySummary:
    out: Path
    target: str
    articles: int
    notebooks: list[str]
    figures: int
    scoring_seconds: float = 0.0
    notebook_seconds: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------- checks


def template_notebooks(folder: str | Path | None = None, *, repository: bool = False) -> list[Path]:
    """The notebooks a study executes, in order.

    A study of any corpus: the study notebooks ``0[1-5]*.ipynb`` of ``folder`` (default: the
    repository's ``notebooks/``) but the validation notebook, which would not find the hand
    labels it reads. The repository's own study (``make figures``, ``repository=True``):
    every notebook in the folder, as ``make figures`` has always re-executed them all.
    """
    folder = Path(folder) if folder is not None else TEMPLATES
    if not folder.is_dir():
        raise StudyInputError(f"{folder}: no notebook templates folder (give one with --notebooks)")
    if repository:
        found = sorted(folder.glob("*.ipynb"))
    else:
        found = [p for p in sorted(folder.glob(TEMPLATE_GLOB)) if p.name != VALIDATION_NOTEBOOK]
    if not found:
        raise StudyInputError(f"{folder}: no study notebooks ({TEMPLATE_GLOB}) in it")
    return found


def is_study(folder: str | Path) -> bool:
    """True if ``folder`` holds a study marker written by ``framing study``."""
    marker = Path(folder) / MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("framing_study") == 1
    except (ValueError, OSError, AttributeError):
        return False


def check_out(out: Path) -> bool:
    """Raise StudyInputError unless ``out`` can receive a study; True if it holds one now."""
    if not out.exists():
        if out.is_symlink():
            raise StudyInputError(f"{out}: a broken symbolic link, not a folder")
        return False
    if not out.is_dir():
        raise StudyInputError(f"{out}: exists and is not a folder")
    if is_study(out):
        return True
    if any(out.iterdir()):
        raise StudyInputError(f"{out}: the output folder holds files and is not a previous study "
                              f"(no {MARKER}); give an empty or new folder")
    return False


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` in POSIX form (absolute if there is no relative path)."""
    try:
        return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def _sha256_file(path: Path, digest=None):
    digest = digest or hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest


def corpus_digest(corpus: Path) -> str:
    """SHA-256 over a corpus: its file's bytes, or every file of a folder (relative path and bytes)."""
    if corpus.is_file():
        return _sha256_file(corpus).hexdigest()
    digest = hashlib.sha256()
    for path in sorted((p for p in corpus.rglob("*") if p.is_file()),
                       key=lambda p: p.relative_to(corpus).as_posix()):
        digest.update(path.relative_to(corpus).as_posix().encode("utf-8") + b"\0")
        _sha256_file(path, digest)
        digest.update(b"\0")
    return digest.hexdigest()


def notebook_digest(path: Path) -> str:
    """SHA-256 over a notebook's cells (type and source), outputs and injected parameters left out,
    so that a template and the notebook executed from it have the same digest."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    cells = [[c.cell_type, c.source] for c in notebook.cells
             if "injected-parameters" not in c.metadata.get("tags", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def _package_data_digest() -> str:
    """SHA-256 over the package's data files (models, alias and cue tables)."""
    data = Path(__file__).resolve().parent / "data"
    digest = hashlib.sha256()
    for path in sorted(p for p in data.iterdir() if p.is_file()):
        digest.update(path.name.encode("utf-8") + b"\0")
        _sha256_file(path, digest)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- notebooks


_WIDGET_ID = re.compile(r'"model_id": "([0-9a-f]{32})"')


def normalise_notebook(notebook) -> None:
    """Take out what changes from run to run: papermill's timings, paths and exception flags,
    nbclient's execution timestamps, and a random id on the injected parameters cell."""
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:  # papermill adds an empty tag list to every cell
            del cell.metadata["tags"]
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"


def _notebook_bytes(notebook) -> bytes:
    import nbformat

    text = nbformat.writes(notebook) + "\n"
    # ipywidgets give every widget a random model id; number them in order of appearance
    ids: dict[str, str] = {}
    text = _WIDGET_ID.sub(lambda m: f'"model_id": "{ids.setdefault(m.group(1), f"{len(ids):032x}")}"',
                          text)
    return text.encode("utf-8")


def _quiet_kernel_manager():
    """A kernel manager whose kernels' own log lines (ipykernel's start-up warnings) stay off
    the terminal; everything a cell prints or raises still reaches the notebook."""
    import subprocess

    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def execute_notebook(template: Path, dest: Path, parameters: dict, timeout: int = 1800) -> None:
    """Execute ``template`` with papermill from ``dest``'s folder, with those of ``parameters``
    its ``parameters`` cell declares injected after that cell, and store it at ``dest`` with
    its outputs, normalised (see :func:`normalise_notebook`)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    declared = papermill.inspect_notebook(str(template))
    parameters = {name: value for name, value in parameters.items() if name in declared}
    try:
        notebook = papermill.execute_notebook(
            str(template), str(dest), parameters=parameters, cwd=str(dest.parent),
            kernel_name="python3", progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=timeout,
            kernel_manager_class=_quiet_kernel_manager())
    except PapermillExecutionError as exc:
        raise NotebookFailed(f"{template.name}: cell {exc.exec_count} raised {exc.ename}: "
                             f"{str(exc.evalue).splitlines()[0] if exc.evalue else ''}") from exc
    notebook = nbformat.from_dict(notebook)
    normalise_notebook(notebook)
    dest.write_bytes(_notebook_bytes(notebook))


@contextmanager
def _environment(name: str, value: str):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


# ----------------------------------------------------------------------------- the study


def run_study(corpus, target: str, out, *, jobs: int = 1, title: str | None = None,
              notebooks=None, repository: bool | None = None, log=None) -> StudySummary:
    """Run the whole study of ``corpus`` toward ``target`` into the folder ``out``.

    ``notebooks`` is a templates folder or a list of notebook paths (default: the
    repository's notebooks, see :func:`template_notebooks`; ``repository`` defaults to
    whether ``out`` is the repository itself). Bad input raises
    :class:`StudyInputError` before anything is written; a failing notebook raises
    :class:`NotebookFailed`; in both cases, and on an interrupt, ``out`` is left as it was.
    ``log`` receives progress lines (default: printed on stderr when it is a terminal).
    """
    from . import countries
    from .engine import _sigterm_raises

    if log is None:  # progress lines for a person at a terminal, as `framing score` shows its bar
        log = (lambda message: print(message, file=sys.stderr)) if sys.stderr.isatty() else (lambda message: None)
    corpus, out = Path(corpus), Path(out)
    if not corpus.exists():
        raise StudyInputError(f"{corpus}: no such corpus file or folder")
    if jobs < 1:
        raise StudyInputError(f"--jobs must be at least 1, not {jobs}")
    try:
        target = countries.resolve_code(target)
    except ValueError as exc:
        raise StudyInputError(str(exc)) from None
    if repository is None:
        repository = out.resolve() == TEMPLATES.parent
    if notebooks is None or isinstance(notebooks, (str, Path)):
        templates = template_notebooks(notebooks, repository=repository)
    else:
        templates = [Path(p) for p in notebooks]
        missing = [str(p) for p in templates if not p.is_file()]
        if missing:
            raise StudyInputError(f"{missing[0]}: no such notebook")
    sanitize = templates[0].parent / SANITIZE
    existed = check_out(out)
    _remove_stale_staging(out)
    try:
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out) + f"{socket.gethostname()}-{os.getpid()}-",
                                        dir=out.resolve().parent))
    except OSError as exc:
        raise StudyInputError(f"{out}: cannot write a study beside it ({exc.strerror})") from None
    # SIGTERM, like Ctrl-C, unwinds through the clean-up below (and shuts the kernels down)
    with _sigterm_raises():
        return _build_and_swap(corpus, target, out, existed, staging, jobs, title, templates,
                               sanitize, log)


def _staging_prefix(out: Path) -> str:
    return f".{out.resolve().name}.study-"


def _remove_stale_staging(out: Path) -> list[Path]:
    """Remove the staging folders beside ``out`` that a killed study left (SIGKILL, power
    loss): those made on this host by a process that no longer exists. A staging folder is
    named ``.DIR.study-HOST-PID-random``; one of another host or a live process is kept."""
    removed = []
    prefix = _staging_prefix(out) + f"{socket.gethostname()}-"
    for folder in out.resolve().parent.glob(glob.escape(prefix) + "*"):
        pid = folder.name[len(prefix):].split("-", 1)[0]
        if not (folder.is_dir() and pid.isdigit()) or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except PermissionError:  # alive, another user's
            pass
    return removed


def _build_and_swap(corpus: Path, target: str, out: Path, existed: bool, staging: Path, jobs: int,
                    title: str | None, templates: list[Path], sanitize: Path, log) -> StudySummary:
    from .engine import score_corpus
    from .output import signals_deferred

    try:
        links = _mirror(out, staging) if existed else []
        started = time.perf_counter()
        log(f"scoring {corpus} toward {target} ...")
        scored = score_corpus(corpus, staging / "results", target, jobs=jobs, progress=False)
        scoring_seconds = time.perf_counter() - started
        log(f"scored {scored.articles} articles in {scoring_seconds:.1f} s")
        final_notebooks = out.resolve() / "notebooks"
        parameters = {
            "CORPUS": _relative(corpus, final_notebooks),
            "RESULTS": "../results",
            "TARGET": target,
            "TITLE": title or f"{scored.articles} articles of {corpus.resolve().name}",
        }
        (staging / "notebooks").mkdir()
        (staging / "figures").mkdir()
        if sanitize.is_file():
            shutil.copyfile(sanitize, staging / "notebooks" / SANITIZE)
        _keep_other_files(templates, out, staging / "notebooks")
        timings = {}
        with _environment(FIGURES_ENV, str(staging / "figures")):
            for template in templates:
                log(f"executing {template.name} ...")
                started = time.perf_counter()
                execute_notebook(template, staging / "notebooks" / template.name, parameters)
                timings[template.name] = time.perf_counter() - started
        log(f"executed {len(templates)} notebooks in {sum(timings.values()):.1f} s")
        marker = {
            "framing_study": 1,
            "corpus": _relative(corpus, out.resolve()),
            "target": target,
            "title": parameters["TITLE"],
            "framing_version": __version__,
            "articles": scored.articles,
            "notebooks": [t.name for t in templates],
            "inputs_sha256": {
                "corpus": corpus_digest(corpus),
                "package_data": _package_data_digest(),
                "notebooks": {t.name: notebook_digest(t) for t in templates},
            },
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
        figures = len(list((staging / "figures").glob("*.png")))
        for link in links:
            link.unlink()
        with signals_deferred():
            _swap_in(staging, out, existed)
    except BaseException:
        with signals_deferred():
            previous = staging / ".previous"
            if previous.is_dir() and any(previous.iterdir()):  # a rename back failed: keep them
                print(f"framing: warning: parts of the previous study are in {previous}",
                      file=sys.stderr)
            else:
                shutil.rmtree(staging, ignore_errors=True)
        raise
    return StudySummary(out, target, scored.articles, [t.name for t in templates], figures,
                        scoring_seconds, timings)


def _keep_other_files(templates: list[Path], out: Path, staged: Path) -> None:
    """When the templates live in ``out/notebooks`` (the repository's own study), carry over
    every other file of that folder (a scratch notebook, a README), so the swap loses none."""
    folder = out.resolve() / "notebooks"
    if not folder.is_dir() or templates[0].parent.resolve() != folder:
        return
    made = {t.name for t in templates} | {SANITIZE}
    for entry in sorted(folder.iterdir()):
        if entry.name in made or (staged / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staged / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, staged / entry.name, follow_symlinks=False)


def _mirror(out: Path, staging: Path) -> list[Path]:
    """Link every entry of ``out`` that is not a study part into ``staging``; return the links."""
    links = []
    for entry in sorted(out.iterdir()):
        if entry.name in PARTS or entry.name.startswith("."):
            continue
        link = staging / entry.name
        try:
            link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
        except OSError:  # no symbolic links here (Windows without the right): go without
            continue
        links.append(link)
    return links


def _swap_in(staging: Path, out: Path, existed: bool) -> None:
    """Put the staged study in place of ``out`` (see the module docstring)."""
    if not existed:
        os.rename(staging, out)
        return
    old = staging / ".previous"
    old.mkdir()
    moved: list[str] = []
    try:
        for part in PARTS:
            if (out / part).exists() or (out / part).is_symlink():
                os.rename(out / part, old / part)
            moved.append(part)
            os.rename(staging / part, out / part)
    except BaseException:
        for part in reversed(moved):  # put the previous study back as it was
            if not (staging / part).exists() and (out / part).exists():
                os.rename(out / part, staging / part)
            if (old / part).exists() or (old / part).is_symlink():
                os.rename(old / part, out / part)
        raise
    shutil.rmtree(staging, ignore_errors=True)
