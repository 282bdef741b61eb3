"""Validity test: the matcher's countries per line of every seed article.

How ``tests/data/seed_line_countries.csv`` was made
--------------------------------------------------
One row per line of every ``seeds/*.txt`` file (article_id = file stem,
line = 1-based number after splitting the text on '\\n', blank lines
included with no countries).  ``countries`` is the sorted set of ISO3 codes
of the countries the line refers to, joined by ';'.

The expectations were written by a person reading each seed line BEFORE the
matcher was run on the seeds, using the rules of docs/aliases.md: names,
demonyms, places, state metonyms, state persons and flag emoji count;
outlets, regions, blocs, companies, organisations and commentators
(Lukyanov, Kotkin) do not; "the Syrian leader" counts SYR via the demonym.
The matcher was then run and each disagreement was to be settled by the
rules, fixing either the alias table or the expectation.  There were none on
the first run.  The ``note`` column records lines where the call is subtle.
"""

import csv
from pathlib import Path

from framing.countries import default_matcher

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
EXPECTED = Path(__file__).resolve().parent / "data" / "seed_line_countries.csv"


def _read_seed(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _expected():
    with EXPECTED.open(encoding="utf-8", newline="") as fh:
        return {(r["article_id"], int(r["line"])): r for r in csv.DictReader(fh)}


def test_expectation_file_covers_every_seed_line():
    exp = _expected()
    keys = {(p.stem, i) for p in SEEDS.glob("*.txt") for i in range(1, len(_read_seed(p)) + 1)}
    assert keys, "no seed files found"
    assert set(exp) == keys


def test_seed_line_countries():
    m = default_matcher()
    exp = _expected()
    diffs = []
    for path in sorted(SEEDS.glob("*.txt")):
        for i, line in enumerate(_read_seed(path), 1):
            got = sorted({iso for _, _, iso, _ in m.find(line)})
            row = exp[(path.stem, i)]
            want = sorted(c for c in row["countries"].split(";") if c)
            if got != want:
                diffs.append(f"{path.stem}:{i}: expected {';'.join(want) or '-'}, got {';'.join(got) or '-'}"
                             f" | {line[:100]!r}")
    assert not diffs, f"{len(diffs)} seed line(s) differ:\n" + "\n".join(diffs)
