"""framing: stance and sentiment of news articles toward a target country, per country mentioned.

    >>> import framing
    >>> result = framing.analyze("seeds", target="RUS")   # DataFrames: sentences, mentions,
    >>> result.scores                                      # evidence, scores, articles

Stages, one module each: corpus -> tokenize -> countries -> score -> aggregate -> figures;
``pipeline`` wires them, ``engine`` streams large corpora (processes or Dask), ``cli`` is
the command line.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("framing")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "analyze", "analyze_dask"]


def __getattr__(name):
    # Imported on first use, so `framing --help` does not pay for pandas and scikit-learn.
    if name == "analyze":
        from .pipeline import analyze

        return analyze
    if name == "analyze_dask":
        from .engine import analyze_dask

        return analyze_dask
    raise AttributeError(f"module 'framing' has no attribute {name!r}")
