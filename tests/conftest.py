from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
NEWSMTSC = ROOT.parent / "shared" / "eval" / "newsmtsc"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS
