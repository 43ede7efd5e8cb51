"""Full-text search over the register: an inverted index with fuzzy word matching.

Derived from the database and rebuilt at start; the database stays the source of truth.
Each query word is matched against the index vocabulary three ways — exactly, as part of a
longer word (substring: "sprach" finds "Sprachmittlerpool"), and by edit similarity with
rapidfuzz (typos: "Sprachmitler"). Entries are ranked by how many query words they
match, then by match quality, then by recency.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from rapidfuzz import fuzz, process

from knowledge.register.model import Entry
from knowledge.text import words
from knowledge.values import Scope

FUZZY_CUTOFF = 80
FUZZY_LIMIT = 30
MIN_SUBSTRING = 4


class IndexRow(NamedTuple):
    """What the index needs of an entry (loaded without building full entries at start-up)."""

    id: int
    scope: Scope
    retracted: bool
    created: float
    text: str


class _Doc(NamedTuple):
    scope: Scope
    retracted: bool
    created: float
    tokens: tuple[str, ...]


class SearchIndex:
    def __init__(self) -> None:
        self._docs: dict[int, _Doc] = {}
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._vocab: list[str] | None = None

    def __len__(self) -> int:
        return len(self._docs)

    @staticmethod
    def row(entry: Entry) -> IndexRow:
        text = " ".join(filter(None, [entry.short_id, entry.title, entry.text, entry.url, " ".join(entry.tags)]))
        return IndexRow(entry.id, entry.scope, entry.retracted, entry.created_at.timestamp(), text)

    def rebuild(self, rows: Iterable[IndexRow]) -> None:
        self._docs.clear()
        self._postings = defaultdict(list)
        for row in rows:
            self._add(row)
        self._vocab = list(self._postings)

    def _add(self, row: IndexRow) -> None:
        # Interned, so each distinct word is stored once however many entries use it.
        tokens = tuple(sys.intern(w) for w in dict.fromkeys(words(row.text)))
        self._docs[row.id] = _Doc(row.scope, row.retracted, row.created, tokens)
        for token in tokens:
            self._postings[token].append(row.id)

    def upsert(self, entry: Entry) -> None:
        row = self.row(entry)
        old = self._docs.pop(row.id, None)
        if old:
            for token in old.tokens:
                posting = self._postings.get(token)
                if posting is not None:
                    posting.remove(row.id)
                    if not posting:
                        del self._postings[token]
        self._add(row)
        self._vocab = None

    def _matches(self, query_word: str) -> dict[str, float]:
        """Index words that match one query word, with a quality from 0 to 100."""
        if self._vocab is None:
            self._vocab = list(self._postings)
        found: dict[str, float] = {}
        if query_word in self._postings:
            found[query_word] = 100.0
        if len(query_word) >= MIN_SUBSTRING:
            for word in self._vocab:
                if query_word in word and word not in found:
                    found[word] = 90.0
        for word, score, _ in process.extract(
            query_word, self._vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_LIMIT
        ):
            found.setdefault(word, score * 0.95)
        return found

    def search(self, text: str, scopes: frozenset[Scope] | None) -> list[int]:
        """Entry ids matching `text`, best first, limited to `scopes` (None: all)."""
        query_words = list(dict.fromkeys(words(text)))
        if not query_words:
            return []
        hits: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
        for query_word in query_words:
            best: dict[int, float] = {}
            for word, quality in self._matches(query_word).items():
                for doc_id in self._postings.get(word, ()):
                    if quality > best.get(doc_id, 0.0):
                        best[doc_id] = quality
            for doc_id, quality in best.items():
                hit = hits[doc_id]
                hit[0] += 1
                hit[1] += quality
        ranked = []
        for doc_id, (count, quality) in hits.items():
            doc = self._docs[doc_id]
            if doc.retracted or (scopes is not None and doc.scope not in scopes):
                continue
            ranked.append((-count, -quality, -doc.created, doc_id))
        ranked.sort()
        return [item[3] for item in ranked]
