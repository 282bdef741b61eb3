from hypothesis import given, settings
from hypothesis import strategies as st

from framing.tokenize import count_words, split_sentences, split_tokens


def texts(text):
    return [text[s:e] for s, e in split_sentences(text)]


def test_abbreviations_do_not_split():
    text = "Yet when U.S. pressure peaked, Mr. Putin waited until Dec. 5. Then he spoke."
    assert texts(text) == ["Yet when U.S. pressure peaked, Mr. Putin waited until Dec. 5.", "Then he spoke."]


def test_line_break_always_ends_a_sentence():
    text = "📌 The Context: Russia’s Strategic Shift Toward Ukraine\nSince 2022, Russia has fought."
    assert texts(text) == ["📌 The Context: Russia’s Strategic Shift Toward Ukraine", "Since 2022, Russia has fought."]


def test_closing_quotes_stay_with_their_sentence():
    text = "He said: “Moscow does not protect.” Moscow tests. ‘It waits.’ Then it acts!"
    assert texts(text) == ["He said: “Moscow does not protect.”", "Moscow tests.", "‘It waits.’", "Then it acts!"]


def test_list_numbers_and_initials():
    text = "1. Resource Constraints: Russia’s economy is stretched.\nDonald J. Trump spoke."
    assert texts(text) == ["1. Resource Constraints: Russia’s economy is stretched.", "Donald J. Trump spoke."]


def test_tokens_keep_hyphenated_names_and_flags():
    text = "🇻🇪 Venezuela got S-300 and Buk-M2 systems, not Su-35s — from the U.S.?"
    tokens = [text[s:e] for s, e in split_tokens(text)]
    assert "🇻🇪" in tokens and "S-300" in tokens and "Buk-M2" in tokens and "Su-35s" in tokens
    assert "U.S." in tokens and "—" in tokens
    assert count_words("S-300 and Buk-M2 — ok") == 4


line_endings = st.sampled_from(["\n", "\r\n", "\r", " ", ". ", "! ", "? "])
pieces = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["U.S.", "Mr.", "“Quote.”", "🇻🇪", "👩‍👩‍👧", "S-300", "—", "e\u0301"]),
    line_endings,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(pieces, max_size=25).map("".join))
def test_offsets_reproduce_the_text(text):
    sentences = split_sentences(text)
    previous_end = 0
    for start, end in sentences:
        assert 0 <= previous_end <= start < end <= len(text)
        chunk = text[start:end]
        assert chunk == chunk.strip() and chunk
        assert "\n" not in chunk
        previous_end = end
    # everything outside the sentences is whitespace
    covered = set()
    for start, end in sentences:
        covered.update(range(start, end))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
    for start, end in split_tokens(text):
        assert text[start:end] and not text[start:end].isspace()
