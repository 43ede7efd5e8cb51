"""The lookup's vocabulary: topics and languages (config/synonyms.yaml), domain concepts
(config/vocabulary/*.yaml), and the phrases coordinators taught the network (database).

Everything is read into one `Vocabulary`; matching keys are made by the shared Analyzer so a
term is found in any inflection, with or without hyphen, as part of a compound.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.directory.lookup.analysis import LANGUAGES, Analyzer
from knowledge.directory.synonyms import SynonymTable
from knowledge.text import fold

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ten times faster


def _load_yaml(text: str):
    return yaml.load(text, Loader=_YAML_LOADER)

WEAK = 0.45
NEGATIONS = frozenset("kein keine keinen keiner nicht ohne nie no not without never нет не ні nie fără fara لا".split())


@dataclass(frozen=True)
class Concept:
    id: str
    topics: tuple[str, ...]
    service: tuple[str, ...]  # how the service is named in a directory (folded)
    weight: float = 1.0
    elsewhere: dict[str, str] | None = None  # outside the network: where people usually go


@dataclass
class Vocabulary:
    table: SynonymTable
    concepts: dict[str, Concept] = field(default_factory=dict)
    # phrase (tuple of content keys) -> {concept id: strength}
    phrases: dict[tuple[str, ...], dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    abbreviations: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # folded -> concept ids
    origins: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # key -> language codes
    words: set[str] = field(default_factory=set)  # every single-word key: compound heads and typo targets

    @classmethod
    def load(cls, analyzer: Analyzer, synonyms: Path, vocabulary_dir: Path | None = None,
             extra_tables: tuple[Path, ...] = ()) -> Vocabulary:
        table = SynonymTable.load(synonyms, *extra_tables)
        vocabulary = cls(table)
        raw = _load_yaml(Path(synonyms).read_text(encoding="utf-8")) or {}
        for extra in extra_tables:
            more = _load_yaml(Path(extra).read_text(encoding="utf-8")) or {}
            for topic_id, spec in (more.get("topics") or {}).items():
                raw.setdefault("topics", {}).setdefault(topic_id, {})
                for key, value in (spec or {}).items():
                    if isinstance(value, list):
                        raw["topics"][topic_id].setdefault(key, [])
                        raw["topics"][topic_id][key] = list(raw["topics"][topic_id][key]) + value
        # The seed table's topics are concepts too: each topic is named by its own synonyms.
        for topic_id, spec in (raw.get("topics") or {}).items():
            spec = spec or {}
            terms = [topic_id.replace("_", " "), spec.get("de", ""), spec.get("en", "")]
            for key in ("synonyms_de", "synonyms_en", "typos"):
                terms += [str(t) for t in spec.get(key) or ()]
            for words in (spec.get("other_languages") or {}).values():
                terms += [str(t) for t in words or ()]
            concept = Concept(f"topic:{topic_id}", (topic_id,), ())
            vocabulary.add(analyzer, concept, terms, [str(a) for a in spec.get("abbreviations") or ()])
        # Terms the seed table marks ambiguous ("Verein", "Kurs") are context words in each of their topics.
        for term, topic_ids in (raw.get("ambiguous_terms") or {}).items():
            key = vocabulary.phrase_key(analyzer, str(term))
            if key:
                for topic_id in topic_ids or ():
                    vocabulary.phrases[key][f"topic:{topic_id}"] = WEAK
        for path in sorted(Path(vocabulary_dir).glob("*.yaml")) if vocabulary_dir else ():
            data = _load_yaml(path.read_text(encoding="utf-8")) or {}
            for concept_id, spec in (data.get("concepts") or {}).items():
                concept = Concept(
                    concept_id, tuple(spec.get("topics") or ()), tuple(fold(str(s)) for s in spec.get("service") or ()),
                    float(spec.get("weight", 1.0)), dict(spec["elsewhere"]) if spec.get("elsewhere") else None,
                )
                unknown = [t for t in concept.topics if t not in table.topics]
                if unknown:
                    raise ValueError(f"{path.name}: concept {concept_id!r} names unknown topics {unknown}")
                # Context words (`weak`): they point to the concept, but less than its own terms.
                weak = [str(t) for t in spec.get("weak") or ()]
                weak_keys = {vocabulary.phrase_key(analyzer, t) for t in weak}
                terms = [str(t) for lang in (*LANGUAGES, "more") for t in spec.get(lang) or ()
                         if vocabulary.phrase_key(analyzer, str(t)) not in weak_keys]
                vocabulary.add(analyzer, concept, terms, [str(a) for a in spec.get("abbreviations") or ()])
                vocabulary.add(analyzer, concept, weak, strength=WEAK)
            for code, words in (data.get("origins") or {}).items():
                for word in words or ():
                    for token in analyzer.tokens(str(word)):
                        for key in analyzer.keys(token):
                            vocabulary.origins[key].add(code)
        return vocabulary

    def add(self, analyzer: Analyzer, concept: Concept, terms: list[str], abbreviations: list[str] = (),
            strength: float = 1.0) -> None:
        self.concepts.setdefault(concept.id, concept)
        for abbreviation in abbreviations:
            self.abbreviations[fold(abbreviation).replace(" ", "")].add(concept.id)
        for term in terms:
            key = self.phrase_key(analyzer, term)
            if not key:
                continue
            known = self.phrases[key].get(concept.id, 0.0)
            self.phrases[key][concept.id] = max(known, strength)
            if len(key) == 1:
                self.words.add(key[0])
            else:
                self.words.update(k for k in key if len(k) >= 4)
                # Closed spelling of an open compound: "deutsch kurs" is also "deutschkurs".
                joined = "".join(key)
                self.phrases[(joined,)].setdefault(concept.id, strength * 0.95)
                self.words.add(joined)

    @staticmethod
    def phrase_key(analyzer: Analyzer, term: str) -> tuple[str, ...]:
        """A phrase as the matcher sees it: the lemmas of its content words."""
        tokens = analyzer.tokens(term)
        content = [t for t in tokens if not t.stop]
        if len(content) == 1 < len(tokens) and any(t.folded in NEGATIONS for t in tokens):
            return ()  # "kein Deutsch" is not "Deutsch": a phrase whose sense is its negation is kept out
        if not content and tokens:
            content = tokens  # a term made only of stop words is kept whole ("leben in")
        return tuple(t.lemma for t in content if len(t.lemma) >= 2)

    def topic_name(self, topic: str, lang: str) -> str:
        found = self.table.topics.get(topic)
        return found.name(lang) if found else topic
