"""Pytest set-up for the whole repository (tests/ and the nbval run over notebooks/)."""
import os
import tempfile


def pytest_configure(config):
    # Notebooks write figures through framing.figures.save_figure; under test they go to a
    # throw-away folder so the committed figures/ are never overwritten. nbval starts its
    # kernels with this process's environment, so they inherit the setting.
    os.environ["FRAMING_FIGURES"] = tempfile.mkdtemp(prefix="framing-figures-")
