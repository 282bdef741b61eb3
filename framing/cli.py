"""Command line: ``framing mentions|score|study|sample|agreement|train-target-model|train-stance-model|evaluate-target``.

Every subcommand calls the same functions a notebook would. Input problems print one
line on stderr and exit with status 2; an unexpected internal error prints one line
and exits with status 1 (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from pathlib import Path

from . import __version__

EXIT_INPUT = 2
EXIT_INTERNAL = 1


def _add_corpus_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "corpus",
        type=Path,
        help="a folder of .txt articles, subfolders included (id: the path without .txt, e.g. "
        "Reuters/a), with an optional metadata.csv; or a .jsonl / .csv / .parquet file with 'id' "
        "and 'text' columns",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder for the CSVs")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of the corpus (default utf-8)")
    parser.add_argument(
        "--wrapped", choices=["auto", "yes", "no"], default="auto",
        help="hard-wrapped text (lines broken at 70-80 characters): 'yes' joins the lines within "
        "each paragraph (blank lines separate paragraphs) before sentences are split, 'no' keeps "
        "every line break as a sentence end, 'auto' (default) joins only articles that look "
        "wrapped (most lines 40-100 characters long and not ending a sentence)",
    )
    parser.add_argument(
        "--folder-meta", metavar="NAME", default=None,
        help="for a folder corpus: fill the metadata column NAME with the first-level subfolder "
        "of each article (e.g. --folder-meta outlet: Reuters/a.txt -> outlet=Reuters; empty at "
        "the top level); a non-empty value in metadata.csv wins",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framing",
        description="Measure how news articles portray a target country (default Russia) "
        "with respect to each country they mention, traceable to sentences.",
    )
    parser.add_argument("--version", action="version", version=f"framing {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "mentions",
        help="split articles into sentences and find country mentions",
        description="Write OUT/sentences.csv (one row per sentence, with the ISO3 codes of "
        "the countries it refers to) and OUT/mentions.csv (one row per country mention, "
        "with its kind: name, demonym, place, metonym, person or flag).",
    )
    _add_corpus_args(p)
    p.set_defaults(func=_cmd_mentions)

    p = sub.add_parser(
        "score",
        help="score sentiment and stance toward a target country",
        description="Write sentences.csv, mentions.csv, evidence.csv, scores.csv and "
        "articles.csv to OUT: sentence tone, sentiment toward the target, and stance toward "
        "the target per article and per co-mentioned country, with the cues and sentence ids "
        "that produced each number.",
    )
    _add_corpus_args(p)
    p.add_argument("--target", default="RUS", help="ISO3 code (or name) of the target country (default RUS)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for the local engine (default 1)")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="'local' (this machine) or 'dask' (a Dask distributed cluster)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("--batch-size", type=int, default=None, help="articles per batch (default 256)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only when stderr is a terminal)")
    p.add_argument("--stance-model", type=Path, default=None, metavar="NPZ",
                   help="a stance model .npz from `framing train-stance-model` (default: the shipped one)")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser(
        "study",
        help="score a corpus and execute the study notebooks into one self-contained folder",
        description="Score CORPUS toward TARGET into OUT/results/, execute the study notebooks "
        "with papermill into OUT/notebooks/ (with their outputs) and save their charts in "
        "OUT/figures/ (index.csv). The same inputs give the same bytes; OUT is replaced only "
        "when everything succeeded, and only if it is new, empty or a previous study.",
    )
    p.add_argument("corpus", type=Path, help="a corpus, as for `framing score`")
    p.add_argument("--target", default="RUS", help="ISO3 code (or name) of the target country (default RUS)")
    p.add_argument("--out", type=Path, required=True, help="the study folder")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for scoring (default 1)")
    p.add_argument("--title", default=None, help="the corpus as named in the charts (default: N articles of CORPUS)")
    p.add_argument("--notebooks", type=Path, default=None,
                   help="folder of notebook templates 0[1-5]*.ipynb (default: the repository's notebooks/)")
    p.set_defaults(func=_cmd_study)

    p = sub.add_parser(
        "sample",
        help="draw a blind, stratified sample of evidence units for hand coding",
        description="Draw a stratified random sample of the evidence units (sentence x country) of a "
        "results folder. Each stratum (default: the system's label x the country) gets an equal share "
        "or all its units, so rare strata are over-sampled. Writes the blind coding sheet OUT (unit_id, "
        "the sentence, the previous sentence, the target and the country as they appear; no system "
        "label, stance or cue; rows shuffled) and, beside it, OUT.sample.csv with each unit's stratum and "
        "sampling weight (inverse inclusion probability) and the results folder. Keep the sidecar from "
        "the coders.",
    )
    p.add_argument("results", type=Path, help="a results folder written by `framing score`")
    p.add_argument("--n", type=int, default=200, help="units to draw (default 200)")
    p.add_argument("--out", type=Path, required=True, help="the coding sheet to write, e.g. coding.csv")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); the same seed gives the same sample")
    p.add_argument("--by", default="label,country",
                   help="strata, comma-separated from label, country, link, article (default label,country)")
    p.add_argument("--target", default=None, help="ISO3 target of the study (default: read from the results)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser(
        "agreement",
        help="Krippendorff's alpha between coders, and the system's agreement with them",
        description="Read coded files (unit_id, coder, stance[, note]; stance -2..2, empty for not a "
        "reference). Report Krippendorff's alpha between coders (interval and nominal, bootstrap 95%% "
        "intervals), the system against each coder and their consensus (accuracy, macro-F1 weighted by "
        "the sampling weights; alpha, Spearman; confusion matrices), overall and per country, with a "
        "verdict in Krippendorff's terms; write CSVs, report.md and a figure to --out.",
    )
    p.add_argument("coded", type=Path, nargs="+", help="coded files, one or more coders each")
    p.add_argument("--results", type=Path, default=None,
                   help="the results folder the sample was drawn from (default: the one the sample sidecar names)")
    p.add_argument("--sample", type=Path, default=None,
                   help="the sample sidecar with the weights (default: a *.sample.csv beside the coded files "
                   "that lists their units)")
    p.add_argument("--out", type=Path, default=None, help="folder for the report (default: print only)")
    p.add_argument("--cross-validate", action="store_true",
                   help="also train the stance model with the codes, k-fold by article, and report the gain")
    p.add_argument("--folds", type=int, default=5, help="folds for --cross-validate (default 5)")
    p.add_argument("--corpus", type=Path, default=None,
                   help="the stance corpus --cross-validate trains on (default: the project's data/stance)")
    p.add_argument("--min-units", type=int, default=20,
                   help="a country gets its own rows with at least this many coded units (default 20)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.set_defaults(func=_cmd_agreement)

    p = sub.add_parser(
        "train-target-model",
        help="retrain the target-sentiment model from NewsMTSC-format data",
        description="Fit the target-dependent sentiment model on DIR/train.jsonl (NewsMTSC "
        "format) and write its vocabulary and coefficients as a .npz file (no pickle).",
    )
    p.add_argument("data_dir", type=Path, help="folder holding train.jsonl")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the model (default: the package's target_model.npz)")
    p.add_argument("--random-state", type=int, default=0)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "train-stance-model",
        help="train the learned stance model on a stance corpus (data/stance format)",
        description="Fit the unit and sentence stance models on DIR's train split plus the train "
        "and dev units of the folders DIR/extra_training.txt names (C by grouped cross-validation, "
        "the neutral class's offset on DIR's dev split) and write them as a .npz file (no pickle). "
        "The same data gives the same bytes: `framing train-stance-model data/stance` rebuilds the "
        "model `framing score` uses.",
    )
    p.add_argument("corpus_dir", type=Path, help="a stance corpus folder, e.g. data/stance")
    p.add_argument("--extra", type=Path, action="append", default=[],
                   help="another stance corpus whose train and dev gold units are added to training, or a "
                   "coded file of `framing agreement` (with its sample sidecar beside it) whose coders' "
                   "consensus is added (repeatable)")
    p.add_argument("--extra-weight", type=float, default=None,
                   help="how many times each coded unit counts (default 5, as the seeds' real-news units)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the model .npz (default: the package's stance_model.npz)")
    p.set_defaults(func=_cmd_train_stance)

    p = sub.add_parser(
        "evaluate-target",
        help="score a NewsMTSC-format file and print accuracy and macro-F1",
        description="Predict the sentiment toward every target in FILE.jsonl (NewsMTSC format) "
        "with the packaged model; print accuracy and macro-F1, the last line being macro_f1=...",
    )
    p.add_argument("file", type=Path, help="a .jsonl file in NewsMTSC format")
    p.add_argument("--model", type=Path, default=None, help="a model .npz (default: the packaged one)")
    p.set_defaults(func=_cmd_evaluate)
    return parser


def _cmd_mentions(args) -> None:
    from .corpus import load_corpus
    from .output import write_tables
    from .pipeline import find_mentions

    articles = load_corpus(args.corpus, encoding=args.encoding, wrapped=args.wrapped,
                           folder_meta=args.folder_meta)
    sentences, mentions = find_mentions(articles)
    write_tables(args.out, {"sentences": sentences, "mentions": mentions})
    _summary(f"{len(articles)} articles, {len(sentences)} sentences, {len(mentions)} mentions -> {args.out}",
             articles)


def _cmd_score(args) -> None:
    from .engine import BATCH_SIZE, score_corpus

    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, not {args.jobs}")
    summary = score_corpus(args.corpus, args.out, args.target, jobs=args.jobs, engine=args.engine,
                           scheduler=args.scheduler, encoding=args.encoding,
                           batch_size=args.batch_size or BATCH_SIZE, progress=args.progress,
                           wrapped=args.wrapped, folder_meta=args.folder_meta,
                           stance_model=args.stance_model)
    message = (f"{summary.articles} articles, {summary.rows['sentences']} sentences, "
               f"{summary.rows['evidence']} evidence rows, target {summary.target} -> {summary.out}")
    message += _notes(len(summary.skipped), summary.unwrapped)
    print(message, file=sys.stderr)


def _cmd_sample(args) -> None:
    from .coding import write_sample

    sheet, side, sidecar = write_sample(args.results, args.out, n=args.n, seed=args.seed, by=args.by,
                                        target=args.target)
    print(f"{len(sidecar)} units in {sidecar['stratum'].nunique()} strata -> {sheet} (for the coders), "
          f"{side} (weights; keep it from the coders)", file=sys.stderr)


def _cmd_agreement(args) -> None:
    from .agreement import agreement_report, report_markdown, write_report

    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise ValueError(f"{args.out}: not a folder")
    report = agreement_report(args.coded, results=args.results, sample=args.sample, n=args.bootstrap,
                              min_units=args.min_units)
    if args.cross_validate:
        from .stance_model import DEFAULT_CORPUS, cross_validate_codes

        report["cross_validation"] = cross_validate_codes(args.coded, args.corpus or DEFAULT_CORPUS,
                                                          k=args.folds, sample=args.sample)
        cv = report["cross_validation"].set_index("model")
        report["verdicts"].append(
            f"Adapted to these codes ({int(cv.loc['gain', 'folds'])}-fold by article, each fold scored by a model "
            f"trained without it): macro-F1 {cv.iloc[0]['macro_f1']:.3f} -> {cv.iloc[1]['macro_f1']:.3f} "
            f"(gain {cv.loc['gain', 'macro_f1']:+.3f}), alpha {cv.iloc[0]['alpha']:.3f} -> {cv.iloc[1]['alpha']:.3f} "
            f"(gain {cv.loc['gain', 'alpha']:+.3f}) against the coders' consensus.")
        report["markdown"] = report_markdown(report)
    for line in report["verdicts"]:
        print(line)
    if args.out is not None:
        written = write_report(report, args.out)
        print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
def _cmd_study(args) -> None:
    from .study import run_study

    summary = run_study(args.corpus, args.target, args.out, jobs=args.jobs, title=args.title,
                        notebooks=args.notebooks)
    print(f"study of {summary.articles} articles toward {summary.target}: {len(summary.notebooks)} "
          f"notebooks, {summary.figures} figures -> {summary.out} (scoring "
          f"{summary.scoring_seconds:.1f} s, notebooks {sum(summary.notebook_seconds.values()):.1f} s)",
          file=sys.stderr)


def _cmd_train(args) -> None:
    from . import target_model

    train_path = args.data_dir / "train.jsonl"
    if not train_path.is_file():
        raise FileNotFoundError(f"{train_path}: no such file")
    model = target_model.train(train_path, random_state=args.random_state)
    out = args.out or target_model.DEFAULT_PATH
    model.save(out)
    print(f"wrote {out}")


def _cmd_train_stance(args) -> None:
    from .stance_model import DEFAULT_PATH, train

    if not args.corpus_dir.is_dir():
        raise FileNotFoundError(f"{args.corpus_dir}: no such folder")
    for path in args.extra:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
    coded = [p for p in args.extra if p.is_file()]
    if coded and args.out is None:
        raise ValueError(f"{coded[0]}: a model adapted to coded files needs --out (e.g. --out my_model.npz); "
                         "the shipped model is only rebuilt from the stance corpus")
    model, report = train(args.corpus_dir, extra=args.extra, coded_weight=args.extra_weight)
    out = args.out or DEFAULT_PATH
    model.save(out)
    sources = ", ".join(f"{k} {v}" for k, v in report["sources"].items())
    print(f"units: {sources}; C={report['C']} neutral_offset={report['neutral_offset']} "
          f"article_band={report['article_band']} "
          f"dev_macro_f1={report['dev_macro_f1']:.3f}")
    print(f"wrote {out}")


def _cmd_evaluate(args) -> None:
    from . import target_model

    model = target_model.TargetSentimentModel.load(args.model) if args.model else target_model.default_model()
    report = target_model.evaluate(model, args.file)
    print(f"n={report['n']}")
    print(f"accuracy={report['accuracy']:.3f}")
    print(f"macro_f1={report['macro_f1']:.3f}")


def _notes(skipped: int, unwrapped: int) -> str:
    notes = [f"{skipped} empty articles skipped"] if skipped else []
    if unwrapped:
        notes.append(f"{unwrapped} hard-wrapped article{'s' if unwrapped != 1 else ''} had their lines joined")
    return f" ({'; '.join(notes)})" if notes else ""


def _summary(message: str, articles) -> None:
    print(message + _notes(len(articles.attrs.get("skipped", [])), articles.attrs.get("unwrapped", 0)),
          file=sys.stderr)


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt an exception was raised from or during, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"framing: warning: {msg}\n"
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, OSError) as exc:
        if args.debug:
            raise
        print(f"framing: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        print("framing: interrupted; no partial output was left", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", signal.SIGINT))
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into an exit code
        interrupt = _interrupt_behind(exc)
        if interrupt is not None:  # e.g. Ctrl-C inside an extension module's import
            print("framing: interrupted; no partial output was left", file=sys.stderr)
            return 128 + int(getattr(interrupt, "signum", signal.SIGINT))
        if args.debug:
            raise
        print(f"framing: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
              file=sys.stderr)
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":
    sys.exit(main())
