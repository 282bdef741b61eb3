"""A new user has no ../shared: notebook 05, whose NewsMTSC cell reads
../../shared/eval/newsmtsc, must still pass nbval (issue 13, item 5).

The notebook, its sanitizer and the data it reads are copied into a temporary project
that has no ``shared`` folder beside it, and nbval runs there exactly as ``make test``
runs it."""
import os
import shutil
import subprocess
import sys

from conftest import ROOT


def test_notebook_05_passes_nbval_without_the_shared_folder(tmp_path):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    for name in ("05_validation.ipynb", "sanitize.cfg"):
        shutil.copy(ROOT / "notebooks" / name, project / "notebooks" / name)
    for folder in ("seeds", "data", "results"):
        shutil.copytree(ROOT / folder, project / folder)
    assert not (project / "notebooks" / ".." / ".." / "shared").exists()
    env = dict(os.environ, FRAMING_FIGURES=str(tmp_path / "figures"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "sanitize.cfg", "05_validation.ipynb"],
        cwd=project / "notebooks", env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "failed" not in result.stdout
