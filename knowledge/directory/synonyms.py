"""The synonym table for "who handles …?" (config/synonyms.yaml, extendable per network).

Everything is folded once at load (knowledge.text.fold: case, umlauts, gender forms,
accents), and each phrase is also kept without spaces and hyphens, so that
"Integrations-Kurs", "Integrations Kurs" and "Integrationskurs" are one key.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.text import fold

TOKEN = re.compile(r"\w+", re.UNICODE)


def phrase_tokens(text: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(fold(text).replace("-", " ")))


@dataclass(frozen=True)
class Topic:
    id: str
    name_de: str
    name_en: str
    lik: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_de if lang == "de" else self.name_en


@dataclass
class SynonymTable:
    topics: dict[str, Topic] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], set[str]] = field(default_factory=lambda: defaultdict(set))
    compact: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    abbreviations: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)  # folded language name -> code
    language_names: dict[str, str] = field(default_factory=dict)  # code -> first (German) name
    language_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> {"de": …, "en": …}
    triggers: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def load(cls, *paths: Path) -> SynonymTable:
        """Load one or more tables; later files add to earlier ones (network extensions)."""
        table = cls()
        for path in paths:
            table.extend(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
        return table

    def extend(self, data: dict) -> None:
        for topic_id, spec in (data.get("topics") or {}).items():
            spec = spec or {}
            self.topics.setdefault(
                topic_id,
                Topic(topic_id, spec.get("de", topic_id), spec.get("en", topic_id), tuple(spec.get("lik") or ())),
            )
            phrases = [topic_id.replace("_", " ")]
            for key in ("synonyms_de", "synonyms_en", "typos"):
                phrases += [str(p) for p in spec.get(key) or []]
            for words in (spec.get("other_languages") or {}).values():
                phrases += [str(p) for p in words or []]
            for phrase in phrases:
                self._add_phrase(phrase, topic_id)
            for abbreviation in spec.get("abbreviations") or []:
                self.abbreviations[fold(str(abbreviation)).replace(" ", "")].add(topic_id)
        for term, topic_ids in (data.get("ambiguous_terms") or {}).items():
            self.ambiguous[fold(str(term))] = tuple(topic_ids)
        for code, names in (data.get("languages_spoken") or {}).items():
            self.language_names.setdefault(code, str(names[0]) if names else code)
            if names:
                de, en = str(names[0]), str(names[1] if len(names) > 1 else names[0])
                self.language_labels.setdefault(code, {"de": de[:1].upper() + de[1:], "en": en[:1].upper() + en[1:]})
            for name in names or []:
                self.languages[fold(str(name))] = code
        for lang_triggers in (data.get("intent_triggers") or {}).values():
            self.triggers += [phrase_tokens(t) for t in lang_triggers or []]
        self.triggers.sort(key=len, reverse=True)

    def _add_phrase(self, phrase: str, topic_id: str) -> None:
        tokens = phrase_tokens(phrase)
        if not tokens:
            return
        self.phrases[tokens].add(topic_id)
        self.compact["".join(tokens)].add(topic_id)

    def language_code(self, word: str) -> str | None:
        """The language a spoken name stands for ("Ukrainisch", "українська" → uk)."""
        return self.languages.get(fold(word))

    def is_language_code(self, code: str) -> bool:
        return code in self.language_names
