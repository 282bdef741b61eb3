"""Re-execute the study's notebooks in place, so their stored outputs and figures are current.

``python -m framing.notebooks notebooks/*.ipynb`` runs each notebook top to bottom in a
fresh kernel of the current environment, from the notebook's own folder, and writes it
back with its new outputs (atomically). Cell timings are not recorded, so a rerun on the
same inputs changes nothing but what really changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .output import write_bytes_atomic


def execute(path: str | Path, timeout: int = 600):
    """Execute the notebook at ``path`` and return the executed notebook node."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute()
    return notebook


def run_in_place(paths) -> list[str]:
    """Execute each notebook and write it back; return the paths that failed.

    A notebook that raises is left as it was (its old outputs stay), the others still run.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    failed = []
    for path in paths:
        print(f"executing {path}", file=sys.stderr)
        try:
            notebook = execute(path)
        except CellExecutionError as exc:
            print(f"{path}: a cell raised; the notebook was not rewritten\n{exc}", file=sys.stderr)
            failed.append(str(path))
            continue
        write_bytes_atomic(path, (nbformat.writes(notebook) + "\n").encode("utf-8"))
    return failed


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    if not paths:
        print("usage: python -m framing.notebooks NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    failed = run_in_place(paths)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
