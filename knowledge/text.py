"""Text normalisation for matching: how people actually type.

Case, Unicode form (NFC vs NFD), zero-width characters, umlauts written as ae/oe/ue,
accents, and gender forms (Berater:innen, BeraterInnen, Berater*innen) all fold to one
spelling, so that a search finds what was meant.
"""
from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_GENDER = re.compile(r"(?<=\w)(?:[:*_/]|\u00b7)?[iI]nnen\b|(?<=\w)In\b")
_WORD = re.compile(r"\w+", re.UNICODE)

STOP_WORDS = frozenset(
    """der die das den dem des ein eine einer eines einem einen und oder aber mit von vom zu zum zur im in
    am an auf aus bei für fuer über ueber unter nach vor ist sind war wird werden wurde hat haben nicht kein
    keine es er sie wir ihr ich du man sich auch noch nur so wie wer was wo als bis the a an and or of to in
    on at for with by from is are was be it this that""".split()
)


def fold(text: str) -> str:
    """One spelling for matching: NFKC, no zero-width characters, lower case, umlauts as ae/oe/ue."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = _GENDER.sub("", text)
    text = text.casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded words, without stop words and one-letter words."""
    return [w for w in _WORD.findall(fold(text)) if len(w) > 1 and w not in STOP_WORDS]
