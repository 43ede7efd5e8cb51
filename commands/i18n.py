"""The message catalogue: one YAML file per language in `commands/locales/`.

Keys and `{placeholders}` are identical across languages (a test checks it).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("de", "en")
LOCALES = Path(__file__).parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    with open(LOCALES / f"{lang}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def t(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang`, with params filled in. Unknown keys are a bug."""
    text = catalogue(lang if lang in LANGUAGES else "de")[key]
    return text.format(**params) if params else text
