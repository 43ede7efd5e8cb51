"""Answering "who handles …?": from a question to roles, and saying so when unsure.

1. Filters come out first: `sprache:uk`, or a language named after "spricht/speaks/auf/in"
   (a hard filter); `hf:…`. A nationality or a place of origin ("ein polnischer
   Erntehelfer") is only a hint that re-ranks roles whose holders speak that language.
2. The question is analysed like every text (knowledge.directory.lookup.analysis): folded, stop words
   of every language dropped, lemmatised, compounds split at real morpheme boundaries,
   abbreviations only where written in capitals.
3. Evidence, longest first, each word used once: vocabulary phrases (config/vocabulary/,
   config/synonyms.yaml, phrases coordinators taught with `!zuordnen`), closed spellings of
   open compounds, compound heads, typos (rapidfuzz). Each hit names a concept; a concept
   gives its topics and the words a directory uses for that service.
4. Every role is scored by (a) its topics, weighted by their place in the entry; (b) a
   BM25-like match of the question's words and the concepts' service words against all of
   its fields (role, organisation, person, target groups, notes), field-weighted — the
   directory is vocabulary; (c) hints: origin languages, the age of the person asked about
   against age ranges in the entry ("12-27 Jahre", "ab 27"), a named person's deputy.
   Status (ungeprüft, left, vacant) does not change the rank; the answer shows it.
5. Confident only above a threshold and ahead of the next role by a margin (calibrated on
   the dev set, never on the held-out set); otherwise candidates; with no real evidence,
   or when the question is about something outside the network (car registration, taxes:
   config/vocabulary/elsewhere.yaml), nobody — and the question is noted for the
   coordinators.
"""
from __future__ import annotations

import math
import re
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from knowledge.directory.lookup.analysis import Analyzer, KnownWords, Lexicon, Token, surface_words
from knowledge.directory.lookup.vocabulary import Vocabulary
from knowledge.directory.model import LookupResult, Match, RoleEntry, Visibility
from knowledge.directory.synonyms import SynonymTable
from knowledge.text import fold

MAX_MATCHES = 3
SHIPPED_VOCABULARY = Path(__file__).resolve().parents[3] / "config" / "vocabulary"
# Calibrated on the dev sets (tests/lookup_dev/, tests/lookup_cases.yaml, bench/lookup_heldout.yaml).
ANSWER_MIN = 2.0  # the best role's score needed for a confident answer …
ANSWER_MARGIN = 0.5  # … and its lead over the next role, as a share of its score
LITERAL_FIELD, LITERAL_MARGIN = 6.0, 0.35  # a strong match of the entry's own words: a smaller lead suffices
CANDIDATE_MIN = 0.75  # below this: nobody
ANSWER_EVIDENCE = 0.9  # a confident answer needs one strong word (not only context words)
FIELD_FACTOR = 0.3  # a BM25 point against a topic point
TOPIC_PLACE = (1.0, 0.75, 0.6, 0.5, 0.45)
FIELD_WEIGHTS = {"role": 3.0, "person": 3.0, "organisation": 1.5, "target_groups": 2.0, "notes": 0.7, "location": 0.5}
K1, B = 1.2, 0.5
SERVICE_WEIGHT = 0.8
ORIGIN_FACTOR = 1.5  # the question names a country whose language the holder speaks
AGE_BONUS, AGE_PENALTY = 0.6, 1.2
LEARNED_ENTRY = 3.0
TOPIC_CANDIDATES = 20
MAX_POSTINGS = 400  # a word on more roles than this only re-ranks (like a low IDF), it finds none

HYPHEN_PIECES = re.compile(r"[-‐‑'’]")
LANGUAGE_TOKEN = re.compile(r"(?:sprache|language|lang):([a-z_]{2,6})\b", re.IGNORECASE)
HF_TOKEN = re.compile(r"\bhf:([a-z0-9\-_]+)", re.IGNORECASE)
SPEAKS_BEFORE = frozenset("spricht sprechen sprechende sprechenden spreche speaks speak speaking auf in".split())
SPEAKS_AFTER = frozenset("spricht sprechen sprechend sprechende sprechenden speaking speaker speakers".split())
DEPUTY_CUES = frozenset("""vertritt vertreten vertretung stellvertretung stellvertreter stellvertreterin urlaub abwesend krank
    elternzeit deputy away vacation holiday holidays replaces substitute stands""".split())
AGE = re.compile(
    r"(?<![\d.,])(\d{1,2})\s*(?:-\s*)?(?:j(?:ä|ae)hrige?[nrs]?|jahre?n?\b|j\.|years?\b|year-old|yo\b|лет|год|роки|років|рік|"
    r"lat\b|ani\b|سنة|عام)|\((\d{1,2})\)|\b(?:bin|i'm|i am|ich bin|im)\s+(\d{2})\b|(?:عمره|عمري)\s*(\d{1,2})",
    re.IGNORECASE,
)
RANGE = re.compile(r"(\d{1,2})\s*[-–]\s*(\d{1,2})\s*jahr", re.IGNORECASE)
FROM_AGE = re.compile(r"\bab\s+(\d{1,2})\s*jahr", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return [w for w in surface_words(text) if not w.isdigit()]


class UnknownLanguage(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    tokens: tuple[Token, ...]
    content: tuple[Token, ...]
    language: str | None  # hard filter
    handlungsfeld: str | None
    origins: frozenset[str]  # soft language hints
    age: int | None


@dataclass
class _Doc:
    entry: RoleEntry
    tf: dict[str, float]
    length: float
    person_keys: frozenset[str]
    ages: tuple[int, int] | None


@dataclass
class Evidence:
    concepts: dict[str, float] = field(default_factory=dict)  # concept id -> strength
    topics: dict[str, float] = field(default_factory=dict)
    elsewhere: dict[str, float] = field(default_factory=dict)  # concept id -> strength
    services: dict[str, float] = field(default_factory=dict)  # concept id -> strength, for its service words
    word_keys: list[tuple[str, ...]] = field(default_factory=list)  # per question word: its keys
    learned_entries: dict[str, float] = field(default_factory=dict)
    used: int = 0  # content words that matched something


@lru_cache(maxsize=8)
def _vocabulary(sources: tuple[Path, ...], vocabulary_dir: Path | None, stopwords: Path | None, _stamp: tuple) -> tuple[Vocabulary, Analyzer]:
    analyzer = Analyzer(Lexicon.load(stopwords))
    return Vocabulary.load(analyzer, sources[0], vocabulary_dir, sources[1:]), analyzer


def _stamp(paths: Iterable[Path]) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.exists())


class LookupEngine:
    def __init__(self, table: SynonymTable, hf_topics: dict[str, tuple[str, ...]] | None = None,
                 vocabulary_dir: Path | None = None):
        self.table = table
        self.hf_topics = hf_topics or {}
        sources = table.sources or ()
        if not sources:
            raise ValueError("the synonym table must be loaded from files (SynonymTable.load)")
        if vocabulary_dir is None:
            # Beside the synonym table (a network's own config directory), else the shipped one.
            candidate = Path(sources[0]).parent / "vocabulary"
            vocabulary_dir = candidate if candidate.is_dir() else SHIPPED_VOCABULARY
        stopwords = vocabulary_dir / "stopwords.yaml" if vocabulary_dir else None
        files = [*sources, *(sorted(vocabulary_dir.glob("*.yaml")) if vocabulary_dir else ())]
        self.vocabulary, self.analyzer = _vocabulary(tuple(sources), vocabulary_dir, stopwords, _stamp(files))
        self._single = sorted(k for k in self.vocabulary.words if len(k) >= 5)
        # Typo candidates by first letter: a typo rarely changes the first letter, and a bucket
        # is a few hundred words instead of thousands.
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for key in self._single:
            self._by_initial[key[0]].append(key)
        self._by_stem: dict[str, set[str]] = defaultdict(set)
        for word in self.vocabulary.words:
            if len(word) >= 6:
                self._by_stem[self.analyzer.tokens(word)[0].stem if self.analyzer.tokens(word) else word].add(word)
        self._docs: dict[str, _Doc] = {}
        self._postings: dict[str, dict[str, float]] = defaultdict(dict)
        self._by_topic: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self._by_language: dict[str, list[str]] = defaultdict(list)
        self._by_topic_language: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
        self._known = KnownWords(self.vocabulary.words)
        self._length_total = 0.0
        self._learned: dict[tuple[str, ...], set[tuple[str, str]]] = defaultdict(set)
        # Per-engine caches (an engine lives as long as its directory service).
        self._surface = lru_cache(maxsize=131072)(self._surface_uncached)
        self._word_keys = lru_cache(maxsize=131072)(self._word_keys_uncached)
        self._split = lru_cache(maxsize=65536)(self._split_uncached)
        self._concept_service_keys = lru_cache(maxsize=4096)(self._concept_service_keys_uncached)

    # ----- the directory, derived from the database -------------------------------------

    def load(self, entries: Iterable[RoleEntry]) -> None:
        entries = list(entries)
        self._docs, self._postings = {}, defaultdict(dict)
        self._by_topic, self._by_language, self._length_total = defaultdict(list), defaultdict(list), 0.0
        self._by_topic_language = defaultdict(list)
        self._word_keys.cache_clear()
        for entry in entries:  # directory words are compound heads too ("Pflegenetz" in "Pflegenetzwerk")
            for text in self._field_texts(entry).values():
                for surface in _words(text):
                    lemma = self._surface(surface)[1]
                    if lemma and len(lemma) >= 4:
                        self._known.add(lemma)
        self._split.cache_clear()
        self._word_keys.cache_clear()
        for entry in entries:
            self._put(entry, keep_sorted=False)
        for ranked in (*self._by_topic.values(), *self._by_topic_language.values()):
            ranked.sort()
        for ids in self._by_language.values():
            ids.sort()

    def upsert(self, entry: RoleEntry) -> None:
        self._remove(entry.id)
        self._put(entry)

    def _remove(self, entry_id: str) -> None:
        old = self._docs.pop(entry_id, None)
        if not old:
            return
        for key in old.tf:
            self._postings[key].pop(entry_id, None)
        for place, topic in enumerate(old.entry.topics):
            item = (-TOPIC_PLACE[min(place, len(TOPIC_PLACE) - 1)], entry_id)
            for ranked in (self._by_topic[topic], *(self._by_topic_language[(topic, c)] for c in old.entry.languages)):
                if item in ranked:
                    ranked.remove(item)
        for code in old.entry.languages:
            if entry_id in self._by_language[code]:
                self._by_language[code].remove(entry_id)
        self._length_total -= old.length

    @staticmethod
    def _field_texts(entry: RoleEntry) -> dict[str, str]:
        return {
            "role": entry.role, "organisation": entry.organisation, "person": entry.person or "",
            "target_groups": " ; ".join(entry.target_groups), "notes": entry.notes or "", "location": entry.location or "",
        }

    def _surface_uncached(self, surface: str) -> tuple[str, str]:
        """(folded, lemma) of one written word; ("", "") for a stop word or a number."""
        tokens = self.analyzer.tokens(surface)
        if len(tokens) != 1 or tokens[0].stop or tokens[0].folded.isdigit():
            return "", ""
        return tokens[0].folded, tokens[0].lemma

    def _word_keys_uncached(self, surface: str, skip: frozenset[str]) -> tuple[str, ...]:
        """The index keys of one written word: itself, its lemma, hyphen parts, compound parts."""
        tokens = self.analyzer.tokens(surface)
        if len(tokens) != 1:
            return ()
        token = tokens[0]
        if token.stop or token.folded.isdigit() or token.folded in skip:
            return ()
        keys = list(self.analyzer.keys(token))
        for part in token.parts:
            if len(part) >= 3 and part not in self.analyzer.lexicon.stop and part not in skip:
                keys.extend(self.analyzer.keys(part))
        split = self._split(token.folded)
        if split:
            keys.extend(w for w in split if len(w) >= 4 and w not in skip)
        return tuple(keys)

    def _doc_keys(self, text: str, skip: frozenset[str] = frozenset()) -> list[str]:
        keys: list[str] = []
        for surface in _words(text):
            keys.extend(self._word_keys(surface, skip))
        return keys

    def _put(self, entry: RoleEntry, keep_sorted: bool = True) -> None:
        tf: dict[str, float] = defaultdict(float)
        person_keys: set[str] = set()
        for name, text in self._field_texts(entry).items():
            weight = FIELD_WEIGHTS[name]
            # Generic words of organisation names ("Verein", "Beratung", "Landkreis") earn no bonus.
            skip = self.analyzer.lexicon.generic_organisation if name == "organisation" else frozenset()
            for key in self._doc_keys(text, skip):
                tf[key] += weight
                if name == "person":
                    person_keys.add(key)
        length = sum(tf.values())
        ages = None
        groups = " ".join((entry.role, *entry.target_groups))
        if found := RANGE.search(groups):
            ages = (int(found.group(1)), int(found.group(2)))
        elif found := FROM_AGE.search(groups):
            ages = (int(found.group(1)), 130)
        self._docs[entry.id] = _Doc(entry, dict(tf), length, frozenset(person_keys), ages)
        self._length_total += length
        for key, value in tf.items():
            self._postings[key][entry.id] = value
        add = insort if keep_sorted else list.append
        for place, topic in enumerate(entry.topics):
            item = (-TOPIC_PLACE[min(place, len(TOPIC_PLACE) - 1)], entry.id)
            add(self._by_topic[topic], item)
            for code in entry.languages:  # "wer spricht Arabisch … Beratung": walk only the speakers
                add(self._by_topic_language[(topic, code)], item)
        for code in entry.languages:
            (insort if keep_sorted else list.append)(self._by_language[code], entry.id)

    def entries(self) -> list[RoleEntry]:
        return sorted((d.entry for d in self._docs.values()), key=lambda e: e.id)

    def get(self, entry_id: str) -> RoleEntry | None:
        doc = self._docs.get(entry_id)
        return doc.entry if doc else None

    # ----- what coordinators taught ------------------------------------------------------

    def learn(self, phrase: str, kind: str, target: str) -> None:
        """A phrase the network uses for a role (kind "entry") or a topic (kind "topic")."""
        key = self._learned_key(phrase)
        if key:
            self._learned[key].add((kind, target))

    def forget_learned(self) -> None:
        self._learned.clear()

    def unknown_words(self, text: str) -> str:
        """The words of a question that the vocabulary does not know: the network's own words,
        worth learning ("Lesezeichen-Projekt"). All content words if every one is known."""
        question = self.parse(text)
        unknown = [t.surface for t in question.content if not self._word_evidence(t)
                   and (t.lemma,) not in self.vocabulary.phrases and (t.folded,) not in self.vocabulary.phrases]
        return " ".join(unknown or [t.surface for t in question.content])

    def _learned_key(self, phrase: str) -> tuple[str, ...]:
        return tuple(sorted({t.lemma for t in self.analyzer.tokens(phrase) if not t.stop and len(t.lemma) >= 2}))

    # ----- understanding the question ----------------------------------------------------

    def parse(self, text: str) -> Question:
        language = None
        found = LANGUAGE_TOKEN.search(text)
        if found:
            language = found.group(1).lower()
            if not self.table.is_language_code(language):
                raise UnknownLanguage(language)
            text = LANGUAGE_TOKEN.sub(" ", text)
        hf = HF_TOKEN.search(text)
        handlungsfeld = hf.group(1).lower() if hf else None
        text = HF_TOKEN.sub(" ", text)
        age = None
        for match in AGE.finditer(text):
            value = next(int(g) for g in match.groups() if g)
            if 0 < value < 100:
                age = value
                break
        tokens = self.analyzer.tokens(text)
        kept: list[Token] = []
        origins: set[str] = set()
        for i, token in enumerate(tokens):
            code = self.table.language_code(token.folded)
            if code:
                before = tokens[i - 1].folded if i else ""
                after = tokens[i + 1].folded if i + 1 < len(tokens) else ""
                if language is None and (before in SPEAKS_BEFORE or after in SPEAKS_AFTER):
                    language = code
                    continue
                if code not in ("de", "en"):  # "Deutsch lernen" is no hint about origin
                    origins.add(code)
            for key in self.analyzer.keys(token):
                origins |= self.vocabulary.origins.get(key, set())
            kept.append(token)
        content = tuple(t for t in kept if not t.stop and not t.folded.isdigit())
        return Question(tuple(kept), content, language, handlungsfeld, frozenset(origins), age)

    def _split_uncached(self, word: str) -> tuple[str, str] | None:
        return self.analyzer.split(word, self._known)

    def evidence(self, question: Question) -> Evidence:
        """What the question's words say, each word used once, longest matches first."""
        ev = Evidence()
        vocab = self.vocabulary
        content = question.content
        used: set[int] = set()
        spans: list[dict[str, float]] = []

        def take(positions: Iterable[int], concepts: dict[str, float], factor: float) -> None:
            spans.append({c: s * factor for c, s in concepts.items()})
            used.update(positions)

        for i, token in enumerate(content):  # abbreviations, only as written in capitals ("eAT-Karte" too)
            if token.upper and token.folded in vocab.abbreviations:
                take([i], dict.fromkeys(vocab.abbreviations[token.folded], 1.0), 1.0)
                continue
            for piece in HYPHEN_PIECES.split(token.surface) if token.parts else ():
                if sum(c.isupper() for c in piece) >= 2 and fold(piece) in vocab.abbreviations:
                    take([i], dict.fromkeys(vocab.abbreviations[fold(piece)], 1.0), 1.0)
        for n in range(min(4, len(content)), 0, -1):
            for i in range(len(content) - n + 1):
                window = range(i, i + n)
                if used & set(window):
                    continue
                gram = content[i:i + n]
                for key, factor in ((tuple(t.lemma for t in gram), 1.0), (tuple(t.folded for t in gram), 1.0),
                                    (("".join(t.folded for t in gram),), 0.95) if n > 1 else ((), 0)):
                    if key and key in vocab.phrases and (n > 1 or len(key[0]) >= 3 or gram[0].upper
                                                         or any(c.isdigit() for c in key[0])):
                        take(window, vocab.phrases[key], factor)
                        break
        for i, token in enumerate(content):
            if i in used:
                continue
            concepts = self._word_evidence(token)
            if concepts:
                take([i], concepts, 1.0)
        # Learned phrases: every word of the phrase occurs in the question.
        lemmas = {t.lemma for t in content}
        for key, targets in self._learned.items():
            if set(key) <= lemmas:
                for kind, target in targets:
                    if kind == "entry":
                        ev.learned_entries[target] = ev.learned_entries.get(target, 0.0) + LEARNED_ENTRY
                    else:
                        spans.append({f"topic:{target}": 1.2})
        ev.used = len(used)
        for span in spans:
            # Words that name an outside authority *and* a topic someone in this directory
            # handles (a network with a Mobilitätsberatung: "Führerschein") are in scope.
            served = any(self._by_topic.get(topic) for c in span if c in vocab.concepts for topic in vocab.concepts[c].topics)
            per_topic: dict[str, float] = {}
            for concept_id, strength in span.items():
                concept = vocab.concepts.get(concept_id)
                if concept is None:
                    continue
                strength *= concept.weight
                ev.concepts[concept_id] = max(ev.concepts.get(concept_id, 0.0), strength)
                if concept.elsewhere and not served:
                    ev.elsewhere[concept_id] = ev.elsewhere.get(concept_id, 0.0) + strength
                for place, topic in enumerate(concept.topics):
                    value = strength * (1.0 if place == 0 else 0.8)
                    per_topic[topic] = max(per_topic.get(topic, 0.0), value)
                if concept.service:
                    ev.services[concept_id] = max(ev.services.get(concept_id, 0.0), strength)
            for topic, value in per_topic.items():
                ev.topics[topic] = ev.topics.get(topic, 0.0) + value
        for token in content:  # the question's own words, against every field of every role
            ev.word_keys.append(tuple(dict.fromkeys(self._query_keys(token))))
        return ev

    def _query_keys(self, token: Token) -> list[str]:
        keys = list(self.analyzer.keys(token))
        keys += [p for p in token.parts if len(p) >= 3]
        split = self._split(token.folded)
        if split:
            keys += [w for w in split if len(w) >= 4]
        return keys

    def _word_evidence(self, token: Token) -> dict[str, float]:
        """A single word that is no vocabulary phrase as written: its hyphen parts, its stem,
        its compound head (and modifier), or a typo of a vocabulary word."""
        vocab = self.vocabulary
        found: dict[str, float] = {}

        def add(concepts: dict[str, float], factor: float) -> None:
            for concept_id, strength in concepts.items():
                found[concept_id] = max(found.get(concept_id, 0.0), strength * factor)

        word = token.folded
        if len(word) < 4 or word.isdigit():
            return found
        for part in token.parts:
            if (part,) in vocab.phrases and len(part) >= 3:
                add(vocab.phrases[(part,)], 0.9)
        if len(word) >= 6:
            for similar in self._by_stem.get(token.stem, ()):
                add(vocab.phrases.get((similar,), {}), 0.9)
        if not found:
            split = self._split(word)
            if split:
                modifier, head = split
                for key, factor in ((head, 0.85), (modifier, 0.6)):
                    for candidate in {key, self.analyzer.lexicon.lemma(key)}:
                        add(vocab.phrases.get((candidate,), {}), factor)
        if not found and len(word) >= 5 and not self.analyzer.lexicon.is_german_word(word):
            cutoff = 90.0 if len(word) <= 7 else 87.0
            for key, score, _ in process.extract(word, self._by_initial.get(word[0], ()), scorer=fuzz.ratio,
                                                 score_cutoff=cutoff, limit=3):
                add(vocab.phrases.get((key,), {}), 0.8 * score / 100.0)
        return found

    # ----- answering ---------------------------------------------------------------------

    def lookup(self, text: str, visible: set[str] | None = None) -> LookupResult:
        """`visible`: Handlungsfeld ids whose room-only entries may be shown here (None: all)."""
        question = self.parse(text)
        if not question.content and not question.language:
            return LookupResult("empty")
        ev = self.evidence(question)
        scored = self._score(question, ev, visible)
        best_topic = max(ev.topics, key=ev.topics.get) if ev.topics else None
        in_scope = max((v for t, v in ev.topics.items() if self._by_topic.get(t)), default=0.0)
        outside = max(ev.elsewhere.values(), default=0.0)
        field_best = max((FIELD_FACTOR * f for _, _, _, f in scored), default=0.0)
        if outside >= 0.8 and outside >= in_scope and not self._elsewhere_in_directory(ev):
            concept = self.vocabulary.concepts[max(ev.elsewhere, key=ev.elsewhere.get)]
            return LookupResult("none", language=question.language,
                                extra={"known_topic": False, "elsewhere": concept.elsewhere})
        deputy = self._deputy(question, scored)
        if deputy:
            return LookupResult("answer", (Match(deputy, None, 99.0),), (), question.language, question.handlungsfeld,
                                extra={"deputy_of": True})
        if not scored:
            if question.language and (not question.content or not (ev.topics or ev.learned_entries)):
                # "Wer spricht Paschtu und kennt die afghanischen Familien?": the speakers; as
                # candidates when the question asked for more than the language.
                speakers = self._speakers(question, visible)
                if question.content and speakers.kind == "answer":
                    return LookupResult("ambiguous", speakers.matches, (), question.language, question.handlungsfeld)
                return speakers
            if question.language and best_topic:
                anyone = Question(question.tokens, (), question.language, None, frozenset(), None)
                speakers = self._speakers(anyone, visible).matches
                return LookupResult("none", topics=(best_topic,), language=question.language,
                                    extra={"known_topic": True, "speakers": speakers})
            return LookupResult("none", topics=self._suggestions(question, ev), language=question.language,
                                extra={"known_topic": bool(best_topic and in_scope >= 1.0)})
        first = scored[0][1]
        second = scored[1][1] if len(scored) > 1 else 0.0
        matches = tuple(Match(self._docs[eid].entry, topic, round(score, 3)) for eid, score, topic, _ in scored[:MAX_MATCHES])
        topics = tuple(dict.fromkeys(m.topic for m in matches if m.topic))
        strong = in_scope >= ANSWER_EVIDENCE or field_best >= ANSWER_MIN or bool(ev.learned_entries)
        # The directory's own words ("Jugendmigrationsdienst", "Sprachmittlerpool") are the surest
        # evidence: with a strong literal match a smaller lead suffices.
        margin = LITERAL_MARGIN if scored[0][3] >= LITERAL_FIELD else ANSWER_MARGIN
        if strong and first >= ANSWER_MIN and first - second >= margin * first:
            # One role clearly ahead. Roles that tie ("Sprachkurs": the adult education centre and
            # the course provider) are listed as candidates: the question does not tell them apart.
            return LookupResult("answer", matches[:1], (matches[0].topic,) if matches[0].topic else (), question.language,
                                question.handlungsfeld)
        if first >= CANDIDATE_MIN or field_best >= CANDIDATE_MIN:
            return LookupResult("ambiguous", matches, topics, question.language, question.handlungsfeld)
        return LookupResult("none", topics=self._suggestions(question, ev), language=question.language,
                            extra={"known_topic": False})

    def _service_keys(self, ev: Evidence) -> dict[str, tuple[str, ...]]:
        """Per concept, the keys of the words a directory uses for its service (whole words only)."""
        return {concept_id: self._concept_service_keys(concept_id) for concept_id in ev.services}

    def _concept_service_keys_uncached(self, concept_id: str) -> tuple[str, ...]:
        keys: list[str] = []
        for word in self.vocabulary.concepts[concept_id].service:
            for token in self.analyzer.tokens(word):
                if not token.stop:
                    keys.extend(self.analyzer.keys(token))
        return tuple(dict.fromkeys(keys))

    def _elsewhere_in_directory(self, ev: Evidence) -> bool:
        """A network may have the authority itself (a Zulassungsstelle entry): then it is in scope."""
        for concept_id in ev.elsewhere:
            for word in self.vocabulary.concepts[concept_id].service:
                if self._postings.get(word) or self._postings.get(self.analyzer.lexicon.lemma(word)):
                    return True
        return False

    def _deputy(self, question: Question, scored: list) -> RoleEntry | None:
        """"Frau Vogelsang ist im Urlaub, wer vertritt sie?": the named person's deputy."""
        if not any(t.folded in DEPUTY_CUES or t.lemma in DEPUTY_CUES for t in question.tokens):
            return None
        names = {k for t in question.content for k in self.analyzer.keys(t) if len(k) >= 3}
        for name in sorted(names):
            for entry_id in sorted(self._postings.get(name, ())):
                doc = self._docs[entry_id]
                if name in doc.person_keys and doc.entry.deputy:
                    deputy = self._docs.get(doc.entry.deputy)
                    return deputy.entry if deputy else None
        return None

    def _score(self, question: Question, ev: Evidence, visible: set[str] | None) -> list[tuple[str, float, str | None, float]]:
        """(entry id, score, the topic that counted most, field score) for the best roles, best first."""
        n_docs = max(1, len(self._docs))
        avg_length = self._length_total / n_docs if self._docs else 1.0
        candidates: set[str] = set(ev.learned_entries)

        def passes(entry: RoleEntry) -> bool:
            return ((not question.language or question.language in entry.languages)
                    and (not question.handlungsfeld or question.handlungsfeld in entry.handlungsfelder)
                    and self._visible(entry, visible))

        # Per topic, the first roles (by the topic's place in them) that pass the filters: the
        # lists are pre-sorted, so walking until enough pass is exact for the topic part.
        for topic in ev.topics:
            taken = 0
            ranked = self._by_topic_language.get((topic, question.language), ()) if question.language else self._by_topic.get(topic, ())
            for _, entry_id in ranked:
                if taken >= TOPIC_CANDIDATES:
                    break
                if passes(self._docs[entry_id].entry):
                    candidates.add(entry_id)
                    taken += 1
        # Field scores term at a time: each question word counts once (its best key), each
        # concept's service words once. A key on more than MAX_POSTINGS roles earns nothing.
        field: dict[str, float] = defaultdict(float)
        norm: dict[str, float] = {}

        def add_terms(keys: Iterable[str], factor: float) -> None:
            best: dict[str, float] = {}
            for key in keys:
                posting = self._postings.get(key)
                if not posting or len(posting) > MAX_POSTINGS:
                    continue
                weight = factor * math.log(1 + (n_docs - len(posting) + 0.5) / (len(posting) + 0.5))
                for entry_id, tf in posting.items():
                    length = norm.get(entry_id)
                    if length is None:
                        length = norm[entry_id] = K1 * (1 - B + B * self._docs[entry_id].length / avg_length)
                    value = weight * tf * (K1 + 1) / (tf + length)
                    if value > best.get(entry_id, 0.0):
                        best[entry_id] = value
            for entry_id, value in best.items():
                field[entry_id] += value

        for keys in ev.word_keys:
            add_terms(keys, 1.0)
        for concept_id, keys in self._service_keys(ev).items():
            add_terms(keys, SERVICE_WEIGHT * ev.services[concept_id])
        candidates.update(field)
        if question.language and not ev.topics and not field:
            return []
        results = []
        for entry_id in candidates:
            doc = self._docs[entry_id]
            entry = doc.entry
            if not passes(entry):
                continue
            topic_score, best_topic, best_value = 0.0, None, 0.0
            for place, topic in enumerate(entry.topics):
                weight = ev.topics.get(topic)
                if weight:
                    value = weight * TOPIC_PLACE[min(place, len(TOPIC_PLACE) - 1)]
                    topic_score += value
                    if value > best_value:
                        best_topic, best_value = topic, value
            field_score = field.get(entry_id, 0.0)
            score = topic_score + FIELD_FACTOR * field_score + ev.learned_entries.get(entry_id, 0.0)
            if score <= 0:
                continue
            if question.origins & set(entry.languages):
                score *= ORIGIN_FACTOR
            if question.age is not None and doc.ages:
                low, high = doc.ages
                score += AGE_BONUS if low <= question.age <= high else -AGE_PENALTY
            results.append((entry_id, score, best_topic, field_score))
        results.sort(key=lambda r: (-r[1], r[0]))
        return results

    def _visible(self, entry: RoleEntry, visible: set[str] | None) -> bool:
        if entry.visibility is not Visibility.ROOM or visible is None:
            return True
        return bool(set(entry.handlungsfelder) & visible)

    def _speakers(self, question: Question, visible: set[str] | None) -> LookupResult:
        ids = self._by_language.get(question.language or "", ())
        matches = []
        for entry_id in ids:
            entry = self._docs[entry_id].entry
            if question.handlungsfeld and question.handlungsfeld not in entry.handlungsfelder:
                continue
            if self._visible(entry, visible):
                matches.append(Match(entry, None, 1.0))
            if len(matches) >= MAX_MATCHES:
                break
        if not matches:
            return LookupResult("none", language=question.language, extra={"known_topic": False})
        return LookupResult("answer", tuple(matches), (), question.language, question.handlungsfeld)

    def _suggestions(self, question: Question, ev: Evidence) -> tuple[str, ...]:
        if ev.topics:
            return tuple(sorted(ev.topics, key=lambda t: -ev.topics[t])[:3])
        near: dict[str, float] = {}
        for token in question.content:
            if len(token.folded) < 4:
                continue
            for key, score, _ in process.extract(token.folded, self._by_initial.get(token.folded[0], ()), scorer=fuzz.ratio,
                                                 score_cutoff=75, limit=5):
                for concept_id in self.vocabulary.phrases.get((key,), {}):
                    for topic in self.vocabulary.concepts[concept_id].topics:
                        near[topic] = max(near.get(topic, 0.0), score)
        return tuple(sorted(near, key=lambda t: -near[t])[:3])

