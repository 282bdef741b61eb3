"""Chart titles state findings computed from the numbers, for any target (issue 13)."""
import pandas as pd

from framing import report


def _rows(labels, lows, highs, articles):
    return pd.DataFrame({"stance_label": labels, "stance_low": lows, "stance_high": highs, "article": articles})


def test_interval_finding_names_the_target_and_agrees_in_number():
    rows = _rows(["against", "favour", "neutral"], [-0.6, 0.2, -0.1], [-0.2, 0.5, 0.1],
                 ["001 Wire", "002 Gazette", "003 Daily"])
    assert report.interval_finding(rows, "CHN") == (
        "One of 3 article–country stances lies clearly against China; one lies in its favour, in article 002")


def test_interval_finding_plural_and_several_articles():
    rows = _rows(["against", "against", "favour", "favour"], [-0.6, -0.5, 0.2, 0.3], [-0.2, -0.1, 0.5, 0.6],
                 ["001 Wire", "001 Wire", "002 Gazette", "004 Post"])
    assert report.interval_finding(rows, "USA") == (
        "Two of 4 article–country stances lie clearly against United States; two lie in its favour "
        "(articles 002 and 004)")
