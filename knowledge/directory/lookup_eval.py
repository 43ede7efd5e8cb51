"""Scoring the lookup against a case file (tests/lookup_cases.yaml): shared by the test and the benchmark."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.directory.lookup import LookupEngine


@dataclass(frozen=True)
class Outcome:
    question: str
    expected: object
    kind: str
    got: tuple[str, ...]
    correct: bool
    confident_wrong: bool


def evaluate(engine: LookupEngine, cases_file: Path) -> list[Outcome]:
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))["cases"]
    outcomes = []
    for case in cases:
        result = engine.lookup(case["q"])
        got = tuple(m.entry.id for m in result.matches)
        expected = case["expect"]
        if expected == "none":
            correct = result.kind in ("none", "empty")
            confident_wrong = result.kind == "answer"
        elif expected == "ambiguous":
            correct = result.kind == "ambiguous" and set(case.get("topics", ())) <= set(result.topics)
            confident_wrong = result.kind == "answer"
        else:
            correct = result.kind == "answer" and bool(got) and got[0] in expected
            confident_wrong = result.kind == "answer" and bool(got) and got[0] not in expected
        outcomes.append(Outcome(case["q"], expected, result.kind, got, correct, confident_wrong))
    return outcomes
