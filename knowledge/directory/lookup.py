"""Answering "who handles …?": from a question to topics to roles, without guessing.

1. The question is folded (case, umlauts, gender forms) and its question phrase removed
   ("wer ist zuständig für", "who handles", …); language filters are taken out
   ("sprache:uk", "wer spricht Ukrainisch", "speaks Arabic").
2. Topics are found by evidence of decreasing strength: abbreviations (exact only: MBE,
   JMD, BAMF, VHS), whole phrases, phrases written together or apart (Integrations-Kurs),
   compounds that contain a phrase (Wohnungssuche → Wohnung), and typos (rapidfuzz).
3. One topic clearly ahead → an answer: the best roles for it. Two close, or a term the
   table marks ambiguous (Pflege, VHS, Kurs) → candidates with the topic each matched.
   Nothing strong enough → no answer, the nearest topics as suggestions. Below the
   threshold the engine never picks: it asks or lists.
"""
from __future__ import annotations

import re
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

from knowledge.directory.model import LookupResult, Match, RoleEntry, RoleStatus, Visibility
from knowledge.directory.synonyms import TOKEN, SynonymTable
from knowledge.text import STOP_WORDS, fold

_STEMMERS = (snowballstemmer.stemmer("german"), snowballstemmer.stemmer("english"))


@lru_cache(maxsize=65536)
def stems(word: str) -> frozenset[str]:
    """German and English stems: Beratung/Berater/Beratern → berat."""
    return frozenset(stemmer.stemWord(word) for stemmer in _STEMMERS)


ANSWER_THRESHOLD = 85.0
AMBIGUITY_MARGIN = 4.0
SUGGESTION_THRESHOLD = 60.0
MAX_MATCHES = 3

# Words of asking rather than of the topic (folded).
QUESTION_WORDS = frozenset(
    """wer wen wem was wo wie welche welcher ist sind zustaendig zustaendigkeit zustaendige kuemmert kuemmern macht
    wende wenden wendet mich kann koennen ich frage fragen wegen hilft helfen bei gibt jemanden jemand ansprechpartner
    ansprechpartnerin ansprechpartnerinnen ansprechperson kontakt kontakte stelle bekomme finde thema themen bitte
    spricht sprechen auf hallo lotse hi
    who whom handles handle responsible charge deals deal contact person point ask about help can could speaks speak
    speaking does do someone anyone there please hello""".split()
)
LANGUAGE_TOKEN = re.compile(r"(?:sprache|language|lang):([a-z_]{2,6})\b", re.IGNORECASE)
HF_TOKEN = re.compile(r"\bhf:([a-z0-9\-_]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    tokens: tuple[str, ...]  # every folded word, stop words included (phrases contain them)
    content: tuple[str, ...]  # the words that can carry a topic
    language: str | None
    handlungsfeld: str | None


class UnknownLanguage(ValueError):
    pass


class LookupEngine:
    def __init__(self, table: SynonymTable, hf_topics: dict[str, tuple[str, ...]] | None = None):
        self.table = table
        self.hf_topics = hf_topics or {}
        self._single = sorted({key for key in table.compact if len(key) >= 4})
        self._stems: dict[str, set[str]] = defaultdict(set)
        self._stem_phrases: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for tokens, topic_ids in table.phrases.items():
            if len(tokens) > 1:
                self._stem_phrases[tuple(self._stem(t) for t in tokens)] |= topic_ids
            if len(tokens) == 1 and len(tokens[0]) >= 5:
                for stem in stems(tokens[0]):
                    if len(stem) >= 4:
                        self._stems[stem] |= topic_ids
        self._entries: dict[str, RoleEntry] = {}
        self._by_topic: dict[str, list[tuple[float, str]]] = defaultdict(list)  # sorted (-base score, id)
        self._by_language: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self._all: list[tuple[float, str]] = []
        self._role_words: dict[str, frozenset[str]] = {}
        self._role_index: dict[str, set[str]] = defaultdict(set)
        self._members: dict[str, set[str]] = defaultdict(set)  # topic -> role ids

    # ----- the directory, derived from the database -------------------------------------

    def load(self, entries: Iterable[RoleEntry]) -> None:
        self._entries = {}
        self._by_topic = defaultdict(list)
        self._by_language = defaultdict(list)
        self._all = []
        self._role_words = {}
        self._role_index = defaultdict(set)
        self._members = defaultdict(set)
        for entry in entries:
            self._put(entry, keep_sorted=False)
        for ranked in (*self._by_topic.values(), *self._by_language.values(), self._all):
            ranked.sort()
        self._role_hits.cache_clear()

    def _base(self, entry: RoleEntry, topic: str | None) -> float:
        """What ranks a role before any question word is considered: the topic's place in
        its list, whether its Handlungsfeld covers the topic, and whether it is current."""
        score = {RoleStatus.ACTIVE: 10.0, RoleStatus.UNCONFIRMED: 5.0}.get(entry.status, 0.0)
        if topic:
            score += max(0.0, 40.0 - 10.0 * entry.topics.index(topic))
            if any(topic in self.hf_topics.get(hf, ()) for hf in entry.handlungsfelder):
                score += 5.0
        return score

    def _put(self, entry: RoleEntry, keep_sorted: bool = True) -> None:
        add = insort if keep_sorted else list.append
        self._entries[entry.id] = entry
        for topic in entry.topics:
            add(self._by_topic[topic], (-self._base(entry, topic), entry.id))
            self._members[topic].add(entry.id)
        for code in entry.languages:
            add(self._by_language[code], (-self._base(entry, None), entry.id))
        add(self._all, (-self._base(entry, None), entry.id))
        words = [w for w in TOKEN.findall(fold(f"{entry.role} {entry.organisation}")) if not w.isdigit()]
        role_words = frozenset(words) | frozenset(self._stem(w) for w in words if len(w) >= 6)
        self._role_words[entry.id] = role_words
        for word in role_words:
            self._role_index[word].add(entry.id)

    def upsert(self, entry: RoleEntry) -> None:
        old = self._entries.get(entry.id)
        if old:
            for topic in old.topics:
                self._by_topic[topic].remove((-self._base(old, topic), old.id))
                self._members[topic].discard(old.id)
            for code in old.languages:
                self._by_language[code].remove((-self._base(old, None), old.id))
            self._all.remove((-self._base(old, None), old.id))
            for word in self._role_words.pop(old.id, ()):
                self._role_index[word].discard(old.id)
        self._put(entry)
        self._role_hits.cache_clear()

    @lru_cache(maxsize=4096)  # noqa: B019 - one engine per process, cleared on every load
    def _role_hits(self, word: str) -> frozenset[str]:
        """Roles whose title or organisation names `word`: equal, or one contains the other as a
        compound part (Berufsanerkennung ~ Anerkennungs-; Beratung ~ Migrationsberatung) — but a
        short role word inside a long question word must be a real part ("Jugend" is not one
        of "Jugendmigrationsdienst")."""
        hits: set[str] = set(self._role_index.get(word, ()))
        if len(word) >= 5:
            for role_word, ids in self._role_index.items():
                if len(role_word) >= 5 and (word in role_word or (role_word in word and 5 * len(role_word) >= 2 * len(word))):
                    hits |= ids
        return frozenset(hits)

    def entries(self) -> list[RoleEntry]:
        return sorted(self._entries.values(), key=lambda e: e.id)

    def get(self, entry_id: str) -> RoleEntry | None:
        return self._entries.get(entry_id)

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
        tokens = list(TOKEN.findall(fold(text).replace("-", " ")))
        tokens = self._strip_trigger(tokens)
        kept = []
        for token in tokens:
            code = self.table.language_code(token)
            if code and language is None:
                language = code
                continue
            kept.append(token)
        content = tuple(t for t in kept if t not in STOP_WORDS and t not in QUESTION_WORDS and len(t) > 1)
        return Question(tuple(kept), content, language, handlungsfeld)

    def _strip_trigger(self, tokens: list[str]) -> list[str]:
        for trigger in self.table.triggers:
            n = len(trigger)
            for i in range(len(tokens) - n + 1):
                if tuple(tokens[i:i + n]) == trigger:
                    return tokens[:i] + tokens[i + n:]
        return tokens

    def topic_scores(self, question: Question) -> tuple[dict[str, float], set[str]]:
        """Best evidence per topic (0-100), and the ambiguous terms the question used.

        Longer matches are taken first, and the words they use are consumed: "Kinder geld"
        is Kindergeld (benefits), not also Kinder (family).
        """
        scores: dict[str, float] = defaultdict(float)

        def hit(topics: Iterable[str], score: float) -> None:
            for topic in topics:
                scores[topic] = max(scores[topic], score)

        tokens = question.tokens
        content = set(question.content)
        consumed: set[int] = set()
        for n in range(min(4, len(tokens)), 1, -1):
            for i in range(len(tokens) - n + 1):
                if consumed & set(range(i, i + n)):
                    continue
                gram = tuple(tokens[i:i + n])
                joined = "".join(gram)
                found = (
                    (self.table.phrases.get(gram), 100.0),
                    (self.table.abbreviations.get(joined), 100.0),
                    (self.table.compact.get(joined), 98.0),
                    (self._stem_phrases.get(tuple(self._stem(t) for t in gram)), 96.0),
                )
                for topics, score in found:
                    if topics and (set(gram) & content or score == 100.0):
                        hit(topics, score)
                        consumed |= set(range(i, i + n))
                        break
        ambiguous_used = {t for i, t in enumerate(tokens) if i not in consumed and t in self.table.ambiguous}
        for i, token in enumerate(tokens):
            if i in consumed:
                continue
            if token in self.table.abbreviations:
                hit(self.table.abbreviations[token], 100.0)
                continue
            if token not in content:
                continue
            if (token,) in self.table.phrases or token in self.table.compact:
                hit(self.table.phrases.get((token,)) or self.table.compact[token], 100.0)
                continue
            for stem in stems(token):
                if stem in self._stems:
                    hit(self._stems[stem], 95.0)
            if len(token) >= 7:
                for key in self._single:
                    if len(key) < 5 or key not in token:
                        continue
                    share = len(key) / len(token)
                    if token.endswith(key):  # the head of a compound: Migrations|beratung
                        hit(self.table.compact[key], 80.0 + 15.0 * share)
                    elif token.startswith(key):  # a modifier: Wohnungs|suche, Geburts|tag
                        hit(self.table.compact[key], 65.0 + 25.0 * share)
            if len(token) >= 4:
                cutoff = 88.0 if len(token) <= 5 else 82.0
                for key, score, _ in process.extract(token, self._single, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5):
                    hit(self.table.compact[key], score * 0.97)
        return dict(scores), ambiguous_used

    @staticmethod
    def _stem(token: str) -> str:
        return min(stems(token), key=len)

    def suggestions(self, question: Question) -> tuple[str, ...]:
        """Topics that are near the question, for "did you mean"."""
        near: dict[str, float] = {}
        for token in question.content:
            for key, score, _ in process.extract(token, self._single, scorer=fuzz.WRatio, score_cutoff=SUGGESTION_THRESHOLD, limit=5):
                if len(key) < 4:
                    continue
                for topic in self.table.compact[key]:
                    near[topic] = max(near.get(topic, 0.0), score)
        return tuple(sorted(near, key=lambda t: -near[t])[:3])

    # ----- answering ---------------------------------------------------------------------

    def lookup(self, text: str, visible: set[str] | None = None) -> LookupResult:
        """`visible`: Handlungsfeld ids whose room-only entries may be shown here (None: all)."""
        question = self.parse(text)
        if not question.content and not question.language:
            return LookupResult("empty")
        scores, ambiguous_terms = self.topic_scores(question)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        strong = [(t, s) for t, s in ranked if s >= ANSWER_THRESHOLD]

        if ambiguous_terms:
            from_terms = [t for term in sorted(ambiguous_terms) for t in self.table.ambiguous[term]]
            other = [t for t, s in strong if t not in from_terms and s >= 99.0]
            # Other words may settle it: "Termin Ausländerbehörde" is the residence topic.
            settled = [t for t, s in strong if t in from_terms and s >= 99.0 and not self._only_from_terms(question, t, ambiguous_terms)]
            if not other and len(settled) == 1:
                strong = [(settled[0], 100.0)]
            elif not other and len(set(from_terms)) > 1:
                return self._candidates(question, tuple(dict.fromkeys(from_terms)), visible)
            elif not other and from_terms:
                strong = [(from_terms[0], 100.0)]

        if not strong:
            if question.language and not question.content:
                return self._answer(question, None, visible)
            return LookupResult("none", topics=self.suggestions(question), language=question.language)
        best_topic, best = strong[0]
        close = [t for t, s in strong[1:] if s >= best - AMBIGUITY_MARGIN]
        if close:
            covering = self._covering(question, (best_topic, *close), visible)
            if covering:
                return LookupResult("answer", tuple(covering), (best_topic, *close), question.language, question.handlungsfeld)
            return self._candidates(question, (best_topic, *close), visible)
        return self._answer(question, best_topic, visible)

    def _visible(self, entry: RoleEntry, visible: set[str] | None) -> bool:
        if entry.visibility is not Visibility.ROOM or visible is None:
            return True
        return bool(set(entry.handlungsfelder) & visible)

    def _ranked(self, question: Question, topic: str | None, visible: set[str] | None,
                 limit: int = MAX_MATCHES, require: frozenset[str] = frozenset()) -> list[Match]:
        """The best `limit` roles for a topic (or, without one, for the language asked about).

        Every role scores its precomputed base plus 15 per question word its title names.
        Roles named by a question word are scored one by one (few); for all others the base
        decides, so walking the pre-sorted list until `limit` pass the filters is enough.
        """
        if topic:
            ordered = self._by_topic.get(topic, [])
        elif question.language:
            ordered = self._by_language.get(question.language, [])
        else:
            ordered = self._all

        def passes(entry: RoleEntry) -> bool:
            if topic and topic not in entry.topics:
                return False
            if question.language and question.language not in entry.languages:
                return False
            if question.handlungsfeld and question.handlungsfeld not in entry.handlungsfelder:
                return False
            if require and not require <= set(entry.topics):
                return False
            return self._visible(entry, visible)

        scored: dict[str, float] = {}
        bonus: dict[str, float] = defaultdict(float)
        # A word that names a large share of all roles ("Träger") tells them apart no more
        # than the topic does; like inverse document frequency, it earns no bonus.
        informative = max(50, len(self._entries) // 50)
        for word in question.content:
            hits = self._role_hits(word)
            if len(hits) > informative:
                continue
            if topic:
                hits = hits & self._members[topic]
            for entry_id in hits:
                bonus[entry_id] += 15.0
        for entry_id, extra in bonus.items():
            entry = self._entries[entry_id]
            if passes(entry):
                scored[entry_id] = self._base(entry, topic) + extra
        taken = 0
        for negative_base, entry_id in ordered:
            if taken >= limit:
                break
            if entry_id in scored:
                continue
            if passes(self._entries[entry_id]):
                scored[entry_id] = -negative_base
                taken += 1
        best = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [Match(self._entries[entry_id], topic, score) for entry_id, score in best]

    def _answer(self, question: Question, topic: str | None, visible: set[str] | None) -> LookupResult:
        matches = self._ranked(question, topic, visible)[:MAX_MATCHES]
        topics = (topic,) if topic else ()
        if not matches:
            extra: dict = {"known_topic": bool(topic)}
            if question.language and topic:
                # Nobody for this topic speaks the language: say who does speak it.
                anyone = Question(question.tokens, (), question.language, None)
                extra["speakers"] = tuple(self._ranked(anyone, None, visible))
            return LookupResult("none", topics=topics, language=question.language, extra=extra)
        return LookupResult("answer", tuple(matches), topics, question.language, question.handlungsfeld)

    def _only_from_terms(self, question: Question, topic: str, terms: set[str]) -> bool:
        """True if the evidence for `topic` comes from the ambiguous words alone."""
        rest = Question(tuple(t for t in question.tokens if t not in terms), tuple(t for t in question.content if t not in terms),
                        question.language, question.handlungsfeld)
        return self.topic_scores(rest)[0].get(topic, 0.0) < 99.0

    def _covering(self, question: Question, topics: tuple[str, ...], visible: set[str] | None) -> list[Match]:
        """Roles that cover every one of several equally strong topics ("Beratung für Jugendliche")."""
        return self._ranked(question, topics[0], visible, require=frozenset(topics))

    def _candidates(self, question: Question, topics: tuple[str, ...], visible: set[str] | None) -> LookupResult:
        matches: list[Match] = []
        for topic in topics[:MAX_MATCHES]:
            chosen = {m.entry.id for m in matches}
            ranked = [m for m in self._ranked(question, topic, visible, limit=MAX_MATCHES + len(chosen)) if m.entry.id not in chosen]
            if ranked:
                matches.append(ranked[0])
        if not matches:
            return LookupResult("none", topics=topics, language=question.language, extra={"known_topic": True})
        return LookupResult("ambiguous", tuple(matches), topics, question.language, question.handlungsfeld)
