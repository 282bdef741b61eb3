"""The two pipelines ``framing score`` is compared with in ``benchmarks/bench.py``.

``obvious``
    What an analyst would write without ``framing``: spaCy's blank English pipeline with
    its rule-based sentencizer (no model download), one compiled regular expression per
    country built from pycountry's names (``name``, ``common_name``, ``official_name``,
    the part of ``name`` before a comma, plus "Russia") searched in every sentence, and vaderSentiment's ``polarity_scores`` on every
    sentence. Writes a CSV with one row per sentence x country mentioned, with VADER's
    scores of the sentence.

``vader``
    vaderSentiment alone on every sentence, sentences split by a simple regular
    expression so that splitting costs next to nothing: the floor any pipeline that
    scores every sentence with VADER pays. Writes one CSV row per sentence.

Both read the same JSON Lines corpus (``id``, ``text``) as ``framing score`` and run in
one process (as the analyst's script would)::

    python benchmarks/baseline.py obvious CORPUS.jsonl OUT.csv
    python benchmarks/baseline.py vader CORPUS.jsonl OUT.csv

Needs ``spacy`` for ``obvious`` (``pip install spacy``; no model is downloaded).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterator

# A sentence ends after . ! ? followed by whitespace, and at every line break.
SIMPLE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


# pycountry calls Russia only "Russian Federation"; an analyst studying Russia adds this.
ALIASES = {"RUS": ("Russia",)}


def read_jsonl(path: str) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                yield str(record["id"]), record["text"]


def country_patterns() -> list[tuple[str, re.Pattern]]:
    """One compiled regex per pycountry country: its name, common and official names."""
    import pycountry

    patterns = []
    for country in pycountry.countries:
        names = {country.name}
        for attribute in ("common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(value)
        if ", " in country.name:  # "Iran, Islamic Republic of" -> "Iran"
            names.add(country.name.split(", ")[0])
        names.update(ALIASES.get(country.alpha_3, ()))
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        patterns.append((country.alpha_3, re.compile(rf"\b(?:{alternation})\b")))
    return patterns


def obvious(corpus: str, out: str) -> int:
    import spacy
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    patterns = country_patterns()
    analyzer = SentimentIntensityAnalyzer()
    articles = list(read_jsonl(corpus))
    rows = 0
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "sentence_id", "country", "match", "compound",
                         "neg", "neu", "pos", "sentence"])
        texts = (text for _, text in articles)
        for (article_id, _), doc in zip(articles, nlp.pipe(texts, batch_size=64)):
            for sentence_id, sent in enumerate(doc.sents):
                text = sent.text
                vader = analyzer.polarity_scores(text)
                for code, pattern in patterns:
                    match = pattern.search(text)
                    if match:
                        writer.writerow([article_id, sentence_id, code, match.group(0), vader["compound"],
                                         vader["neg"], vader["neu"], vader["pos"], text])
                        rows += 1
    return rows


def vader_alone(corpus: str, out: str) -> int:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    polarity = SentimentIntensityAnalyzer().polarity_scores
    rows = 0
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "sentence_id", "compound"])
        for article_id, text in read_jsonl(corpus):
            for sentence_id, sentence in enumerate(s for s in SIMPLE_SPLIT.split(text) if s.strip()):
                writer.writerow([article_id, sentence_id, polarity(sentence)["compound"]])
                rows += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pipeline", choices=["obvious", "vader"])
    parser.add_argument("corpus", help="a .jsonl file with id and text")
    parser.add_argument("out", help="the CSV to write")
    args = parser.parse_args(argv)
    rows = (obvious if args.pipeline == "obvious" else vader_alone)(args.corpus, args.out)
    print(f"{args.pipeline}: {rows} rows -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
