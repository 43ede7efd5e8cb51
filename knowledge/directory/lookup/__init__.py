""""Wer ist zuständig …?": the lookup engine and everything it reads.

analysis    how a reader sees text (also used by the register search)
vocabulary  topics, domain concepts, origins, learned phrases
engine      from a question to roles, with a calibrated confidence
evaluation  scoring against question files (aggregates only for the held-out set)
"""
from knowledge.directory.lookup.engine import LookupEngine, Question, UnknownLanguage

__all__ = ["LookupEngine", "Question", "UnknownLanguage"]
