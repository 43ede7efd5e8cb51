"""How a reader sees text: one normalisation for the lookup and for `!suche`.

- Folding (knowledge.text.fold): case, Unicode form, umlauts, accents, gender forms.
- Words: letters and digits; a hyphenated compound ("Dolmetscher-Hotline") is read as its parts
  *and* as one closed word ("dolmetscherhotline"), and an open compound ("Integrations Kurs")
  is joined by the matcher, so closed, hyphenated and open spellings meet.
- Stop words of every supported language (de, en, uk, ru, pl, ro, ar: the `stop-words`
  package plus config/vocabulary/stopwords.yaml) never count as evidence.
- Lemmas: a form → lemma table derived from simplemma's dictionaries for the vocabulary's
  words (knowledge/directory/lookup/data/lemmas.tsv.gz, built by devtools/build_lexicon.py), so
  "визнанням" meets "визнання" and "Ärzte" meets "Arzt"; a German Snowball stem lets other
  inflections meet a vocabulary word (weaker evidence).
- Compounds: a German word is split only at a real morpheme boundary — its head must be a
  known word (vocabulary or directory) of at least four letters, its modifier a word of the
  German lexicon (simplemma's lemmas, with linking -s-/-n-/-en-/-es-) of at least four; a word
  that is itself in the lexicon needs a head of six: "Masernimpfung" is Masern|Impfung,
  "Migrant" stays whole (never "Mi|grant"), and so do "Einladung" and "Netzwerk". The
  libraries for this were measured and not taken: compound-split (185 MB of n-gram data, 23 s
  to load, "Ein|ladung") and german-nouns ("Migrant" -> "Grant", 15 s to load).
- Abbreviations (MBE, JMD, VHS) are recognised only where the writer used capitals.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer
import yaml

from knowledge.text import fold

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ten times faster


def _load_yaml(text: str):
    return yaml.load(text, Loader=_YAML_LOADER)

DATA = Path(__file__).resolve().parent / "data"
LANGUAGES = ("de", "en", "uk", "ru", "pl", "ro", "ar")
WORD = re.compile(r"[^\W_]+(?:[-‐‑'’][^\W_]+)*", re.UNICODE)
HYPHENS = re.compile(r"[-‐‑'’]")
LINKING = ("", "s", "es", "n", "en", "e", "er")
_STEMMERS = {"de": snowballstemmer.stemmer("german"), "en": snowballstemmer.stemmer("english")}


@dataclass(frozen=True)
class Token:
    surface: str  # as written (gender forms folded away)
    folded: str  # the whole word, hyphens removed
    lemma: str  # the dictionary form where known, else the folded word
    stem: str  # Snowball stem (German for Latin script) of the folded word
    parts: tuple[str, ...]  # hyphen parts, folded; () for a plain word
    upper: bool  # written in capitals (an abbreviation candidate)
    stop: bool
    position: int


class Lexicon:
    """The lemma table, the German word list for compound splitting, and the stop words."""

    def __init__(self, lemmas: dict[str, str], german: frozenset[str], stop: frozenset[str],
                 generic_organisation: frozenset[str] = frozenset()):
        self.lemmas = lemmas
        self.german = german
        self.stop = stop
        self.generic_organisation = generic_organisation

    @classmethod
    def load(cls, stopwords_file: Path | None = None) -> Lexicon:
        return _load_lexicon(str(stopwords_file) if stopwords_file else "")

    @classmethod
    def for_search(cls) -> Lexicon:
        """The register search's lexicon: every language's stop words (with the shipped `keep`
        list), but not the lookup's question words ("Kontakt", "Hilfe" are search words there)."""
        return _load_lexicon(str(DEFAULT_STOPWORDS) + "#search")

    def lemma(self, folded: str) -> str:
        return self.lemmas.get(folded, folded)

    def is_german_word(self, folded: str) -> bool:
        return folded in self.german or self.lemmas.get(folded, "") in self.german


DEFAULT_STOPWORDS = Path(__file__).resolve().parents[3] / "config" / "vocabulary" / "stopwords.yaml"


@lru_cache(maxsize=4)
def _load_lexicon(stopwords_file: str) -> Lexicon:
    # Immutable data shared by every engine in the process: loaded once.
    lemmas: dict[str, str] = {}
    path = DATA / "lemmas.tsv.gz"
    if path.exists():
        rows = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
        lemmas = dict(row.split("\t", 1) for row in rows if row and not row.startswith("#") and "\t" in row)
    german: frozenset[str] = frozenset()
    path = DATA / "german_words.txt.gz"
    if path.exists():
        words = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
        german = frozenset(words[1:]) - {""}  # the first line is the header
    stopwords_file, _, purpose = stopwords_file.partition("#")
    extra = Path(stopwords_file) if stopwords_file else None
    generic: frozenset[str] = frozenset()
    if extra and extra.exists():
        data = _load_yaml(extra.read_text(encoding="utf-8")) or {}
        generic = frozenset(fold(str(w)) for w in data.get("generic_organisation_words") or ())
    return Lexicon(lemmas, german, _stop_words(extra, question_words=purpose != "search"), generic)


def _stop_words(extra_file: Path | None, question_words: bool = True) -> frozenset[str]:
    from stop_words import get_stop_words

    words: set[str] = set()
    for lang in LANGUAGES:
        words |= {fold(w) for w in get_stop_words(lang)}
    keep: set[str] = set()
    if extra_file and extra_file.exists():
        data = _load_yaml(extra_file.read_text(encoding="utf-8")) or {}
        for lang_words in (data.get("extra") or {}).values() if question_words else ():
            words |= {fold(str(w)) for w in lang_words or ()}
        keep = {fold(str(w)) for w in data.get("keep") or ()}
    return frozenset(w for w in words if w not in keep)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if not word.isascii():
        return word
    return _STEMMERS["de"].stemWord(word)


class Analyzer:
    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def tokens(self, text: str) -> list[Token]:
        out: list[Token] = []
        for position, match in enumerate(WORD.finditer(_gender_folded(text))):
            surface = match.group(0)
            pieces = [p for p in HYPHENS.split(surface) if p]
            folded_pieces = tuple(fold(p) for p in pieces)
            folded = "".join(folded_pieces)
            upper = sum(c.isupper() for c in surface) >= 2 and not surface.isdigit()
            out.append(Token(
                surface=surface, folded=folded, lemma=self.lexicon.lemma(folded), stem=stem(folded),
                parts=folded_pieces if len(folded_pieces) > 1 else (),
                upper=upper, stop=folded in self.lexicon.stop or len(folded) < 2 and not folded.isdigit(), position=position,
            ))
        return out

    def keys(self, token_or_word: Token | str) -> tuple[str, ...]:
        """The keys a word is found under: as written, and its lemma."""
        if isinstance(token_or_word, Token):
            folded, lemma = token_or_word.folded, token_or_word.lemma
        else:
            folded = token_or_word
            lemma = self.lexicon.lemma(folded)
        keys = [folded]
        if lemma != folded:
            keys.append(lemma)
        return tuple(keys)

    def split(self, word: str, known: Iterable[str] | KnownWords) -> tuple[str, str] | None:
        """(modifier, head) at a real morpheme boundary, or None. `known` holds the heads
        worth finding (vocabulary and directory words)."""
        if len(word) < 7 or not word.isalpha():
            return None
        # A word of the lexicon may itself be a compound ("Masernimpfung"), but then only a long
        # head and modifier make a split: "Netz|werk" and "Ein|ladung" stay whole.
        whole_word = self.lexicon.is_german_word(word)
        min_head, min_modifier = (6, 4) if whole_word else (4, 4)
        best: tuple[str, str] | None = None
        for cut in range(min_modifier, len(word) - 3):
            head = word[cut:]
            if len(head) < min_head or not _is_known(head, known, self.lexicon):
                continue
            modifier = word[:cut]
            for link in LINKING:
                if link and not modifier.endswith(link):
                    continue
                stem_part = modifier[: len(modifier) - len(link)] if link else modifier
                if len(stem_part) >= min_modifier and any(_is_known(w, known, self.lexicon) or self.lexicon.is_german_word(w)
                                               for w in (stem_part, stem_part + "e")):
                    return modifier if not link else stem_part, head  # the longest head wins (cut ascends)
        return best

    def words(self, text: str) -> list[str]:
        """Folded content words for the register search: no stop words, hyphenated compounds
        also as one closed word."""
        out: list[str] = []
        for token in self.tokens(text):
            if token.stop:
                continue
            out.append(token.folded)
            out.extend(p for p in token.parts if len(p) > 1 and p not in self.lexicon.stop)
        return out


def surface_words(text: str) -> list[str]:
    """The written words of a text (gender forms folded away, hyphenated compounds kept whole)."""
    return WORD.findall(_gender_folded(text))


class KnownWords:
    """A set of words (folded and lemmas) that compound heads may be."""

    def __init__(self, words: Iterable[str] = ()):
        self.words = set(words)

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def add(self, word: str) -> None:
        self.words.add(word)


def _is_known(word: str, known, lexicon: Lexicon) -> bool:
    return word in known or lexicon.lemma(word) in known


_GENDER = re.compile(r"(?<=\w)(?:[:*_/]|\u00b7)[iI]nnen\b|(?<=[a-zäöüß])Innen\b|(?<=\w)\(innen\)")


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def _gender_folded(text: str) -> str:
    return _GENDER.sub("", unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH))
