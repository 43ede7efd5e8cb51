"""Reading single cells: dates, yes/no, lists, languages, Handlungsfelder — strictly, with a problem key."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

from babel import Locale

from knowledge.directory.synonyms import SynonymTable, phrase_tokens
from knowledge.text import fold

LIST_SPLIT = re.compile(r"\s*[;\n]\s*")
LIST_SPLIT_COMMA = re.compile(r"\s*[;,\n]\s*")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(_[a-z]{2,3})?$")
GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MATRIX_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
YES = {"ja", "j", "yes", "y", "x", "true", "wahr", "1", "öffentlich", "oeffentlich", "public"}
NO = {"nein", "n", "no", "false", "falsch", "0", "", "intern", "netzwerk", "network"}
ALL = {"all", "alle", "netzwerk", "network", "gesamtnetzwerk", "*"}


@lru_cache(maxsize=8192)
def folded(word: str) -> str:
    """`fold` for the few distinct words of a column (kinds, statuses, Handlungsfelder): computed once each."""
    return fold(word.strip())


class CellError(ValueError):
    """A cell that cannot be read: `key` names the problem in the catalogue."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key = key
        self.params = params


def parse_date(text: str) -> date | None:
    """2026-12-31, 31.12.2026 or 31.12.26; '' is None."""
    text = text.strip()
    if not text:
        return None
    try:
        match = GERMAN_DATE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise CellError("not_date", value=text) from None


def parse_yes(text: str) -> bool:
    word = folded(text)
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellError("not_yes_no", value=text)


def split_list(text: str, commas: bool = True) -> tuple[str, ...]:
    """Items of a list cell: separated by ';' or line breaks; by commas too where items never hold one
    (`commas`) and the cell has no ';' or line break (exports write '; ')."""
    text = text.strip()
    pattern = LIST_SPLIT_COMMA if commas and not LIST_SPLIT.search(text) else LIST_SPLIT
    return tuple(part for part in pattern.split(text) if part)


@dataclass
class Vocabulary:
    """What a cell may name: the network's Handlungsfelder, topics and languages."""

    handlungsfelder: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> names (de, en)
    table_loader: Callable[[], SynonymTable] | None = None  # loaded on first use: decisions never need it

    @cached_property
    def table(self) -> SynonymTable | None:
        return self.table_loader() if self.table_loader else None

    @cached_property
    def _hf(self) -> dict[str, str]:
        out = {}
        for hf_id, names in self.handlungsfelder.items():
            for name in (hf_id, *names):
                out[fold(name)] = hf_id
        return out

    def handlungsfeld(self, text: str) -> str | None:
        """A Handlungsfeld id, None for the whole network; CellError if unknown."""
        word = folded(text)
        if not word or word in ALL:
            return None
        found = self._hf.get(word)
        if found is None:
            raise CellError("unknown_handlungsfeld", value=text, known=", ".join(sorted(self.handlungsfelder)))
        return found

    @cached_property
    def _languages(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for lang in ("en", "de"):
            for code, name in Locale.parse(lang).languages.items():
                if LANGUAGE_CODE.match(code):
                    out.setdefault(fold(name), code)
        if self.table is not None:
            out.update(self.table.languages)
        return out

    @cached_property
    def _memo(self) -> dict[tuple[str, str], tuple[str, bool] | str]:
        return {}

    def language(self, text: str) -> str:
        found = self._memo.get(("language", text))
        if found is None:
            found = self._memo[("language", text)] = self._language(text)
        return found  # type: ignore[return-value]

    def _language(self, text: str) -> str:
        word = text.strip()
        if LANGUAGE_CODE.match(word):
            return word
        code = self._languages.get(fold(word))
        if code is None:
            raise CellError("unknown_language", value=text)
        return code

    def topic(self, text: str) -> tuple[str, bool]:
        """A topic id from the synonym table if the text names exactly one, else the text; and whether it is known."""
        found = self._memo.get(("topic", text))
        if found is None:
            found = self._memo[("topic", text)] = self._topic(text)
        return found  # type: ignore[return-value]

    def _topic(self, text: str) -> tuple[str, bool]:
        word = text.strip()
        if self.table is None:
            return word, True
        if word in self.table.topics:
            return word, True
        found = self.table.phrases.get(phrase_tokens(word)) or set()
        if len(found) == 1:
            return next(iter(found)), True
        return word, False
