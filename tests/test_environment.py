"""pyproject.toml is the single source of dependencies; environment.yml must mirror it."""
import re
import tomllib

from conftest import ROOT


def _split(spec):
    name, bound = re.match(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", spec).groups()
    return re.sub(r"\[.*\]", "", name).lower(), bound.replace(" ", "")


def _conda_dependencies(text):
    """Name -> lower bound for the conda packages listed under ``dependencies:``."""
    deps, inside = {}, False
    for line in text.splitlines():
        if not line.startswith(" "):
            inside = line.startswith("dependencies:")
            continue
        match = re.match(r"\s+-\s+([A-Za-z][^:#\s]*)\s*$", line)
        if inside and match:
            name, bound = _split(match.group(1))
            deps[name] = bound
    return deps


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [d for deps in project["optional-dependencies"].values() for d in deps]
    wanted = dict(_split(s) for s in specs)
    # conda-forge ships the dask[distributed] extra as its own package
    if any(s.startswith("dask[distributed]") for s in specs):
        wanted["distributed"] = wanted["dask"]
    text = (ROOT / "environment.yml").read_text()
    conda = _conda_dependencies(text)
    assert conda.pop("python") == project["requires-python"]
    assert conda.pop("pip") == ""
    assert conda == wanted
    assert re.search(r"- pip:\n\s+- -e \.\n", text)
