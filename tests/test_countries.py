"""Unit and property tests for framing.countries (no external data needed)."""

import pandas as pd
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.countries import (
    KINDS,
    CountryMatcher,
    country_name,
    default_matcher,
    find_mentions,
    load_aliases,
    resolve_code,
)


@pytest.fixture(scope="module")
def m():
    return default_matcher()


def found(m, text):
    return [(text[s:e], iso, kind) for s, e, iso, kind in m.find(text)]


def codes(m, text):
    return {iso for _, _, iso, _ in m.find(text)}


# --------------------------------------------------------------------- kinds

@pytest.mark.parametrize("surface,iso", [
    ("Venezuela", "VEN"), ("Iran", "IRN"), ("United States", "USA"), ("U.S.", "USA"), ("US", "USA"),
    ("USA", "USA"), ("America", "USA"), ("Türkiye", "TUR"), ("Turkey", "TUR"), ("UAE", "ARE"), ("UK", "GBR"),
    ("Britain", "GBR"), ("DRC", "COD"), ("Russia", "RUS"), ("Russian Federation", "RUS"), ("Syria", "SYR"),
    ("Côte d'Ivoire", "CIV"), ("Ivory Coast", "CIV"), ("Czech Republic", "CZE"), ("Burma", "MMR"),
])
def test_name(m, surface, iso):
    assert found(m, f"They said {surface} would act.") == [(surface, iso, "name")]


def test_the_is_outside_the_span(m):
    assert found(m, "the United States and the Kremlin") == [
        ("United States", "USA", "name"), ("Kremlin", "RUS", "metonym")]


@pytest.mark.parametrize("surface,iso", [
    ("Venezuelan", "VEN"), ("Iranian", "IRN"), ("American", "USA"), ("Americans", "USA"), ("Soviet", "RUS"),
    ("Russian", "RUS"), ("Russians", "RUS"), ("Syrian", "SYR"), ("Israeli", "ISR"), ("Emirati", "ARE"),
    ("Cuban", "CUB"), ("Chinese", "CHN"), ("British", "GBR"), ("Turkish", "TUR"), ("Nigerien", "NER"),
    ("Nigerian", "NGA"),
])
def test_demonym(m, surface, iso):
    assert found(m, f"a {surface} official") == [(surface, iso, "demonym")]


@pytest.mark.parametrize("surface,iso", [
    ("Caracas", "VEN"), ("Tehran", "IRN"), ("Moscow", "RUS"), ("New York", "USA"), ("Florida", "USA"),
    ("California", "USA"), ("Sochi", "RUS"), ("Kamchatka", "RUS"), ("Tartus", "SYR"), ("Khmeimim", "SYR"),
    ("Abu Dhabi", "ARE"), ("Buenos Aires", "ARG"), ("Havana", "CUB"), ("French Riviera", "FRA"),
    ("Kyiv", "UKR"), ("Beijing", "CHN"), ("Damascus", "SYR"), ("Yerevan", "ARM"), ("Baku", "AZE"),
    ("Minsk", "BLR"), ("Ankara", "TUR"), ("New Delhi", "IND"), ("Pyongyang", "PRK"),
])
def test_place(m, surface, iso):
    assert found(m, f"talks in {surface} ended") == [(surface, iso, "place")]


@pytest.mark.parametrize("surface,iso", [
    ("Kremlin", "RUS"), ("White House", "USA"), ("Pentagon", "USA"), ("Washington", "USA"),
    ("Downing Street", "GBR"), ("Elysée", "FRA"), ("Élysée", "FRA"), ("Zhongnanhai", "CHN"),
])
def test_metonym(m, surface, iso):
    assert found(m, f"the {surface} said") == [(surface, iso, "metonym")]


@pytest.mark.parametrize("surface,iso", [
    ("Putin", "RUS"), ("Vladimir Putin", "RUS"), ("Lavrov", "RUS"), ("Peskov", "RUS"), ("Maduro", "VEN"),
    ("Nicolás Maduro", "VEN"), ("Delcy Rodríguez", "VEN"), ("Hugo Chávez", "VEN"), ("Assad", "SYR"),
    ("Bashar al-Assad", "SYR"), ("Trump", "USA"), ("Donald Trump", "USA"), ("Pashinyan", "ARM"),
    ("Erdoğan", "TUR"), ("Erdogan", "TUR"), ("Xi Jinping", "CHN"), ("Modi", "IND"), ("Khamenei", "IRN"),
    ("Pezeshkian", "IRN"), ("Aliyev", "AZE"), ("Zelensky", "UKR"), ("Lukashenko", "BLR"),
    ("Netanyahu", "ISR"), ("Díaz-Canel", "CUB"), ("Milei", "ARG"), ("Lula", "BRA"), ("Kim Jong Un", "PRK"),
    ("al-Sharaa", "SYR"), ("Biden", "USA"), ("Rubio", "USA"), ("Macron", "FRA"), ("Starmer", "GBR"),
    ("Scholz", "DEU"), ("Merz", "DEU"),
])
def test_person(m, surface, iso):
    assert found(m, f"{surface} said") == [(surface, iso, "person")]


def test_person_rows_are_dated(m):
    t = m.aliases
    p = t[t["kind"] == "person"]
    assert len(p) > 0
    assert (p["role"] != "").all() and (p["valid_from"] != "").all() and (p["checked"] != "").all()
    assert (t.loc[t["kind"] != "person", ["role", "valid_from", "valid_to"]] == "").all().all()
    putin = p[p["alias"] == "Putin"]
    assert set(putin["role"]) == {"President", "Prime Minister"}


def test_flags(m):
    assert found(m, "🇻🇪 Venezuela") == [("🇻🇪", "VEN", "flag"), ("Venezuela", "VEN", "name")]
    assert found(m, "🇺🇸🇷🇺") == [("🇺🇸", "USA", "flag"), ("🇷🇺", "RUS", "flag")]
    assert found(m, "🇪🇺 📌 🪖 🧠") == []          # EU flag and other emoji are not countries
    assert "flag" not in set(m.aliases["kind"])    # derived in code, not listed


# ------------------------------------------------------------------- blocks

@pytest.mark.parametrize("text", [
    "The Washington Post", "the Washington Post", "The New York Times", "The Wall Street Journal",
    "Middle East Monitor", "New York Post", "Latin America", "South America", "Central America",
    "North America", "the Americas", "the Middle East", "the Caribbean", "the Caucasus", "Europe", "NATO",
    "BRICS", "the UN", "the EU", "Bank of America", "Air India", "Qatar University", "George Washington",
    "Washington State", "Latin Americans", "South China Sea", "Gulf of Mexico", "Korean Peninsula",
    "UN Security Council", "Michael Jordan", "New Guinea",
])
def test_blocked(m, text):
    assert m.find(f"According to {text}, nothing.") == []


def test_block_consumes_only_its_span(m):
    assert found(m, "The Washington Post says Washington erred") == [("Washington", "USA", "metonym")]
    assert found(m, "Bank of America and America") == [("America", "USA", "name")]


# -------------------------------------------------------------- ambiguities

@pytest.mark.parametrize("text,expected", [
    ("Congo", [("Congo", "COD", "name")]),
    ("Republic of the Congo", [("Republic of the Congo", "COG", "name")]),
    ("Congo-Brazzaville", [("Congo-Brazzaville", "COG", "name")]),
    ("Korea", [("Korea", "KOR", "name")]),
    ("North Korea", [("North Korea", "PRK", "name")]),
    ("Georgia", [("Georgia", "GEO", "name")]),
    ("Jordan", [("Jordan", "JOR", "name")]),
    ("Guinea", [("Guinea", "GIN", "name")]),
    ("Papua New Guinea", [("Papua New Guinea", "PNG", "name")]),
    ("Equatorial Guinea", [("Equatorial Guinea", "GNQ", "name")]),
    ("Guinea-Bissau", [("Guinea-Bissau", "GNB", "name")]),
    ("Niger and Nigeria", [("Niger", "NER", "name"), ("Nigeria", "NGA", "name")]),
    ("Dominica and the Dominican Republic", [("Dominica", "DMA", "name"), ("Dominican Republic", "DOM", "name")]),
    ("South Sudan, Sudan", [("South Sudan", "SSD", "name"), ("Sudan", "SDN", "name")]),
    ("People's Republic of China", [("People's Republic of China", "CHN", "name")]),
    ("People’s Republic of China", [("People’s Republic of China", "CHN", "name")]),
])
def test_ambiguous(m, text, expected):
    assert found(m, text) == expected


# --------------------------------------------------------- surface handling

def test_possessives(m):
    assert found(m, "Russia’s and Russia's and the Kremlin’s") == [
        ("Russia", "RUS", "name"), ("Russia", "RUS", "name"), ("Kremlin", "RUS", "metonym")]


def test_hyphens(m):
    assert found(m, "Russian-supplied") == [("Russian", "RUS", "demonym")]
    assert found(m, "Russian-Ukrainian talks") == [("Russian", "RUS", "demonym"), ("Ukrainian", "UKR", "demonym")]
    assert found(m, "anti-U.S. efforts, the U.S.—over") == [("U.S.", "USA", "name"), ("U.S.", "USA", "name")]


def test_word_boundaries(m):
    assert m.find("Bolivarian Iranians Omani Woman Indiana Nigerians")[0][2:] == ("IRN", "demonym")
    assert [iso for *_, iso, _ in m.find("Bolivarian Woman Indiana Putinism")] == []


def test_case_sensitive(m):
    assert m.find("us and turkey and russia and china and america") == []
    assert codes(m, "US and Turkey") == {"USA", "TUR"}


def test_nbsp_and_curly_apostrophe(m):
    assert found(m, "New\u00a0York") == [("New\u00a0York", "USA", "place")]
    assert found(m, "Côte d’Ivoire") == [("Côte d’Ivoire", "CIV", "name")]


def test_results_sorted_and_disjoint(m):
    text = "Putin met Trump in Anchorage; 🇺🇸 U.S.-Russian ties, the Kremlin, Washington and Kyiv."
    res = m.find(text)
    assert [r[0] for r in res] == sorted(r[0] for r in res)
    assert all(a[1] <= b[0] for a, b in zip(res, res[1:]))


# ------------------------------------------------------------------ coverage

def test_every_iso_country_has_name_and_demonym(m):
    t = m.aliases
    for kind in ("name", "demonym"):
        have = set(t.loc[t["kind"] == kind, "iso3"])
        missing = sorted(c.alpha_3 for c in pycountry.countries if c.alpha_3 not in have)
        assert not missing, f"no {kind} row for {missing}"


def test_every_alias_alone_resolves_to_its_row(m):
    bad = []
    for alias, iso3, kind in zip(m.aliases["alias"], m.aliases["iso3"], m.aliases["kind"]):
        got = m.find(alias)
        want = [] if kind == "block" else [(0, len(alias), iso3, kind)]
        if got != want:
            bad.append((alias, got))
    assert not bad, bad[:20]


def test_aliases_for(m):
    ven = m.aliases_for("ven")
    assert set(ven["iso3"]) == {"VEN"}
    assert {"Caracas", "Maduro", "Venezuelan", "Venezuela"} <= set(ven["alias"])


def test_custom_table():
    df = pd.DataFrame({"alias": ["Ruritania", "Ruritanian Times"], "iso3": ["RUS", ""], "kind": ["name", "block"]})
    cm = CountryMatcher(df)
    assert found(cm, "Ruritania, said the Ruritanian Times") == [("Ruritania", "RUS", "name")]


# -------------------------------------------------------------- load_aliases

def test_load_aliases_default():
    df = load_aliases()
    assert list(df.columns[:8]) == ["alias", "iso3", "kind", "role", "valid_from", "valid_to", "checked", "note"]
    assert set(df["kind"]) <= set(KINDS)


def _write(tmp_path, rows, header="alias,iso3,kind,role,valid_from,valid_to,checked,note"):
    p = tmp_path / "bad.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("rows,header,msg", [
    (["Russia,RUS,name,,,,,"], "alias,country,kind,role,valid_from,valid_to,checked,note", "missing required column"),
    (["Russia,RUS,name,,,,,", "Ruritania,RUS,nickname,,,,,"], None, "line 3"),
    (["Ruritania,XXX,name,,,,,"], None, "not an ISO 3166-1 alpha-3"),
    (["Ruritania,RUS,name,,,,,", "Ruritania,USA,name,,,,,"], None, "conflicts with line 2"),
    (["NATO,RUS,block,,,,,"], None, "empty iso3"),
    (["Ruritania,,name,,,,,"], None, "not an ISO 3166-1 alpha-3"),
    (["Putin,RUS,person,,2000-05-07,,2026-01-01,"], None, "without a role"),
    (["Putin,RUS,person,President,2000-13-07,,2026-01-01,"], None, "not a date"),
    (["Putin,RUS,person,President,2012-05-07,2000-01-01,2026-01-01,"], None, "before valid_from"),
    (["Moscow,RUS,place,Capital,,,,"], None, "only for person rows"),
    ([" Moscow,RUS,place,,,,,"], None, "whitespace"),
])
def test_load_aliases_errors(tmp_path, rows, header, msg):
    p = _write(tmp_path, rows, header or "alias,iso3,kind,role,valid_from,valid_to,checked,note")
    with pytest.raises(ValueError) as exc:
        load_aliases(p)
    assert str(p) in str(exc.value)
    assert msg in str(exc.value)


def test_load_aliases_optional_columns(tmp_path):
    p = _write(tmp_path, ["Ruritania,RUS,name"], header="alias,iso3,kind")
    df = load_aliases(p)
    assert df.loc[0, "note"] == "" and df.loc[0, "role"] == ""


# ---------------------------------------------------------- codes and names

@pytest.mark.parametrize("code", ["rus", "RUS", "RU", "ru", "Russia", "russia", "Russian Federation", " RUS ", "643"])
def test_resolve_code(code):
    assert resolve_code(code) == "RUS"


def test_resolve_code_other():
    assert resolve_code("UK") == "GBR"
    assert resolve_code("US") == "USA"
    assert resolve_code("Venezuela") == "VEN"
    assert resolve_code("Türkiye") == resolve_code("Turkey") == "TUR"


@pytest.mark.parametrize("code,suggested", [("RUZ", "RUS"), ("Rusia", "RUS"), ("Venezuella", "VEN"), ("XYZ", None)])
def test_resolve_code_unknown(code, suggested):
    with pytest.raises(ValueError) as exc:
        resolve_code(code)
    msg = str(exc.value)
    assert msg.startswith(f"unknown country code '{code}'; did you mean: ")
    if suggested:
        assert suggested in msg


def test_resolve_code_rejects_blocks():
    with pytest.raises(ValueError):
        resolve_code("NATO")


@pytest.mark.parametrize("iso,name", [
    ("VEN", "Venezuela"), ("IRN", "Iran"), ("USA", "United States"), ("RUS", "Russia"), ("SYR", "Syria"),
    ("KOR", "South Korea"), ("PRK", "North Korea"), ("COD", "DR Congo"), ("FRA", "France"), ("ven", "Venezuela"),
])
def test_country_name(iso, name):
    assert country_name(iso) == name


def test_country_name_all_short():
    for c in pycountry.countries:
        n = country_name(c.alpha_3)
        # no inverted forms like "Iran, Islamic Republic of" and no "(French part)"
        assert n and not n.endswith((" of", " of the")), (c.alpha_3, n)
        assert "(" not in n or c.alpha_3 == "CCK", (c.alpha_3, n)
        assert "," not in n or c.alpha_3 in {"BES", "SHN"}, (c.alpha_3, n)


# ------------------------------------------------------------- find_mentions

def test_find_mentions():
    t1 = "Russia warned. The Kremlin said Washington erred.  Maduro left Caracas."
    t2 = "Nothing here."
    t3 = "🇻🇪 Venezuela"
    articles = pd.DataFrame({"article_id": ["b", "a", "c"], "text": [t1, t2, t3]})
    sentences = pd.DataFrame({
        "article_id": ["b", "b", "b", "a", "c"],
        "sentence_id": [2, 0, 1, 0, 0],
        "start": [51, 0, 15, 0, 0],
        "end": [len(t1), 14, 49, len(t2), len(t3)],
    })
    out = find_mentions(articles, sentences)
    assert list(out.columns) == ["article_id", "sentence_id", "start", "end", "text", "country", "kind"]
    assert out[["article_id", "sentence_id", "text", "country", "kind"]].values.tolist() == [
        ["b", 0, "Russia", "RUS", "name"],
        ["b", 1, "Kremlin", "RUS", "metonym"],
        ["b", 1, "Washington", "USA", "metonym"],
        ["b", 2, "Maduro", "VEN", "person"],
        ["b", 2, "Caracas", "VEN", "place"],
        ["c", 0, "🇻🇪", "VEN", "flag"],
        ["c", 0, "Venezuela", "VEN", "name"],
    ]
    for row in out.itertuples():
        text = dict(zip(articles.article_id, articles.text))[row.article_id]
        assert text[row.start:row.end] == row.text


def test_find_mentions_empty():
    out = find_mentions(pd.DataFrame({"article_id": ["a"], "text": ["no country"]}),
                        pd.DataFrame({"article_id": ["a"], "sentence_id": [0], "start": [0], "end": [10]}))
    assert list(out.columns) == ["article_id", "sentence_id", "start", "end", "text", "country", "kind"]
    assert len(out) == 0


def test_find_mentions_outside_sentences():
    articles = pd.DataFrame({"article_id": [1], "text": ["Hello. Russia"]})
    sentences = pd.DataFrame({"article_id": [1], "sentence_id": [0], "start": [0], "end": [6]})
    with pytest.raises(ValueError, match="lies in no sentence"):
        find_mentions(articles, sentences)


# ------------------------------------------------------------------ property

_M = default_matcher()
_KEYS = set(_M.lookup)
_FLAG_PAIRS = ["🇻🇪", "🇺🇸", "🇷🇺", "🇪🇺", "🇺🇳"]
_PIECES = st.one_of(
    st.sampled_from(sorted(_M.aliases["alias"])[::7]),
    st.sampled_from(_FLAG_PAIRS + ["\U0001F1FB", "\u0301", "\u0308", "’", "'", "-", ".", " ", "\u00a0", "\n",
                                   "🪖", "👍🏽", "👨‍👩‍👧", "e\u0301", "s"]),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_find_property(text):
    res = _M.find(text)
    prev_end = 0
    for s, e, iso, kind in res:
        assert 0 <= s < e <= len(text)
        assert s >= prev_end
        prev_end = e
        surface = text[s:e]
        if kind == "flag":
            assert len(surface) == 2 and all(0x1F1E6 <= ord(ch) <= 0x1F1FF for ch in surface)
        else:
            assert surface.replace("\u2019", "'").replace("\u00a0", " ") in _KEYS
            assert kind in KINDS and kind != "block"
        assert iso in {c.alpha_3 for c in pycountry.countries}


@pytest.mark.parametrize("text, expected", [
    ("The grant is worth US$28 million.", []),
    ("Kabul received 77 million U.S. dollars in aid.", ["AFG"]),
    ("The loan of 2 billion Chinese yuan was repaid in Saudi riyals and Indian rupees.", []),
    ("Finance Minister Birmingham met the Kenyan delegation.", ["KEN"]),
    ("Finance Minister Clara Birmingham said Britain would pay.", ["GBR"]),
    ("Envoy Peter Jordan flew to Amman.", ["JOR"]),
    ("Georgia Mensah, an aid official, said Ghana would benefit.", ["GHA"]),
    ("Georgia said on Monday it would leave the talks.", ["GEO"]),
    ("Jordan Rejects Aid Offer From Russia", ["JOR", "RUS"]),
    ("Foreign Minister Visits China", ["CHN"]),
    ("The US pledged support as Indian rupees fell.", ["USA"]),
])
def test_currencies_and_person_names_are_not_references(text, expected):
    assert [c for _, _, c, _ in CountryMatcher().find(text)] == expected


@pytest.mark.parametrize("text, expected", [
    ("HARARE, May 3 (Wire) - Aid arrived from China.", ["ZWE", "CHN"]),
    ("RUSSIA ABANDONS SYRIA", ["RUS", "SYR"]),
    ("LATIN AMERICA WATCHES THE WASHINGTON POST", []),
    ("Analyst Chad Morgan of Harbourline said Beijing erred.", ["CHN"]),
    ("Research by Sydney Okello, an economist in Nairobi, was cited.", ["KEN"]),
])
def test_all_caps_datelines_and_first_names(text, expected):
    assert [c for _, _, c, _ in CountryMatcher().find(text)] == expected


@pytest.mark.parametrize("text, expected", [
    ("Deputy U.S. envoy Jane Doe said Kenya agreed.", ["USA", "KEN"]),
    ("Secretary United States officials met.", ["USA"]),
    ("Irene Paris, the spokeswoman, said Kenya agreed.", ["KEN"]),
])
def test_title_rule_only_takes_surname_like_aliases(text, expected):
    assert [c for _, _, c, _ in CountryMatcher().find(text)] == expected
