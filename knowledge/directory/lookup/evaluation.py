"""Scoring the lookup against a question file, shared by the tests and the benchmark.

Two formats are read. The blind sets (tests/lookup_dev/, tests/lookup_heldout/) list
`{q, expect: [ids], kind, lang}`; `expect: []` means nobody in the network does this. The
older tuned suites (tests/lookup_cases.yaml, bench/lookup_heldout.yaml) say `expect: none`
or `expect: ambiguous` (with `topics`).

Per question:
- top-1: the first role named (in an answer or a list of candidates) is an acceptable one;
- among candidates: any role named is acceptable;
- confident wrong: a confident answer whose first role is not acceptable, or any confident
  answer to a question nobody in the network answers;
- a no-answer question is right when Lotse says it found nobody.

`score_file` returns aggregate figures only. It is what runs over the held-out set: the
held-out questions and per-question results are never printed, logged or returned.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Outcome:
    question: str
    expected: object  # list of ids, [] (nobody), "none" or "ambiguous"
    kind: str  # the question's kind (paraphrase, english, …); "tuned" for the old suites
    result: str  # answer | ambiguous | none | empty
    got: tuple[str, ...]
    answerable: bool
    top1: bool
    among: bool
    confident_wrong: bool

    @property
    def correct(self) -> bool:
        return self.top1


def load_cases(path: Path) -> list[dict]:
    return list(yaml.safe_load(Path(path).read_text(encoding="utf-8"))["cases"])


def judge(case: dict, result) -> Outcome:
    got = tuple(m.entry.id for m in result.matches)
    expected = case["expect"]
    kind = case.get("kind", "tuned")
    if expected == "none" or expected == []:
        right = result.kind in ("none", "empty")
        return Outcome(case["q"], expected, kind, result.kind, got, False, right, right, result.kind == "answer")
    if expected == "ambiguous":
        right = result.kind == "ambiguous" and set(case.get("topics", ())) <= set(result.topics)
        return Outcome(case["q"], expected, kind, result.kind, got, False, right, right, result.kind == "answer")
    named = result.kind in ("answer", "ambiguous") and bool(got)
    top1 = named and got[0] in expected
    among = named and any(g in expected for g in got)
    wrong = result.kind == "answer" and bool(got) and got[0] not in expected
    return Outcome(case["q"], expected, kind, result.kind, got, True, top1, among, wrong)


def evaluate(engine, cases_file: Path) -> list[Outcome]:
    """Per-question outcomes: for the dev and tuned sets only, never for the held-out set."""
    return [judge(case, engine.lookup(case["q"])) for case in load_cases(cases_file)]


def aggregate(outcomes: list[Outcome]) -> dict:
    """Figures over a set and per kind; no question text."""

    def figures(group: list[Outcome]) -> dict:
        answerable = [o for o in group if o.answerable]
        unanswerable = [o for o in group if not o.answerable]
        return {
            "cases": len(group),
            "top1": sum(o.top1 for o in group) / len(group) if group else 0.0,
            "answerable": len(answerable),
            "answerable_top1": sum(o.top1 for o in answerable) / len(answerable) if answerable else 0.0,
            "among_candidates": sum(o.among for o in answerable) / len(answerable) if answerable else 0.0,
            "confident_right": sum(o.top1 and o.result == "answer" for o in answerable) / len(answerable) if answerable else 0.0,
            "confident_wrong": sum(o.confident_wrong for o in group) / len(group) if group else 0.0,
            "confident_wrong_answerable": sum(o.confident_wrong for o in answerable),
            "no_answer": len(unanswerable),
            "no_answer_right": sum(o.top1 for o in unanswerable),
            "confident_wrong_no_answer": sum(o.confident_wrong for o in unanswerable),
        }

    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    return {"all": figures(outcomes), "kinds": {kind: figures(group) for kind, group in sorted(by_kind.items())}}


def score_file(engine, cases_file: Path) -> dict:
    """Aggregate figures for a question file (the held-out set): nothing per question leaves here."""
    return aggregate(evaluate(engine, cases_file))


def format_figures(name: str, figures: dict) -> str:
    """One aggregate table as text (for the benchmark and the dev tool)."""
    lines = [f"{name}: {figures['all']['cases']} questions"]
    header = (f"  {'kind':<11} {'n':>4} {'top-1':>7} {'among':>7} {'conf.right':>10} {'conf.wrong':>10} {'no-ans right':>13}"
              f" {'conf.wrong no-ans':>18}")
    lines.append(header)
    for kind, f in [("all", figures["all"]), *figures["kinds"].items()]:
        no_answer = f"{f['no_answer_right']}/{f['no_answer']}" if f["no_answer"] else "–"
        wrong_na = f"{f['confident_wrong_no_answer']}/{f['no_answer']}" if f["no_answer"] else "–"
        among = f"{f['among_candidates']:.1%}" if f["answerable"] else "–"
        right = f"{f['confident_right']:.1%}" if f["answerable"] else "–"
        lines.append(f"  {kind:<11} {f['cases']:>4} {f['top1']:>7.1%} {among:>7} {right:>10} {f['confident_wrong']:>10.1%}"
                     f" {no_answer:>13} {wrong_na:>18}")
    return "\n".join(lines)
