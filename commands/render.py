"""Accessible chat messages: a plain `body` and simple HTML from one description.

User text is always escaped; markup comes only from the builder (bold, code, links,
lists), never from strings. No tables, no information only in emoji or colour.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    href: str
    text: str


Inline = str | Bold | Code | Link
Item = tuple[Inline, ...] | Inline  # one list item: a text, or parts of one


def _plain(part: Inline) -> str:
    if isinstance(part, Link):
        return part.text if part.text == part.href else f"{part.text} ({part.href})"
    return part if isinstance(part, str) else part.text


def _html(part: Inline) -> str:
    if isinstance(part, Bold):
        return f"<strong>{html.escape(part.text)}</strong>"
    if isinstance(part, Code):
        return f"<code>{html.escape(part.text)}</code>"
    if isinstance(part, Link):
        href = part.href if part.href.startswith(("https://", "http://", "mailto:")) else "#"
        return f'<a href="{html.escape(href, quote=True)}">{html.escape(part.text)}</a>'
    return html.escape(part)


@dataclass(frozen=True)
class Attachment:
    """A file to upload with the reply (an .ics calendar, an export)."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Reply:
    """What a handler returns: the text in both forms, an optional reaction on the command,
    and an optional file."""

    body: str
    html: str
    reaction: str | None = None
    attachments: tuple[Attachment, ...] = ()
    incident: str | None = None  # set when the command failed with an internal error
    # The ids a confirmed change touched (B-12, M-3, p03 …), for the audit log: named by the
    # handler, never read back out of the text.
    objects: tuple[str, ...] = ()


class Doc:
    """Build a message paragraph by paragraph."""

    def __init__(self) -> None:
        self._plain: list[str] = []
        self._html: list[str] = []

    def p(self, *parts: Inline) -> Doc:
        self._plain.append("".join(_plain(p) for p in parts))
        self._html.append("<p>" + "".join(_html(p) for p in parts) + "</p>")
        return self

    def ul(self, items: Sequence[Item]) -> Doc:
        rows = [item if isinstance(item, tuple) else (item,) for item in items]
        if not rows:
            return self
        self._plain.append("\n".join("• " + "".join(_plain(p) for p in row) for row in rows))
        self._html.append(
            "<ul>" + "".join("<li>" + "".join(_html(p) for p in row) + "</li>" for row in rows) + "</ul>"
        )
        return self

    def reply(self, reaction: str | None = None, attachments: tuple[Attachment, ...] = (),
              objects: tuple[str, ...] = ()) -> Reply:
        return Reply(body="\n\n".join(self._plain), html="".join(self._html), reaction=reaction, attachments=attachments,
                     objects=objects)


def text_reply(text: str, reaction: str | None = None) -> Reply:
    return Doc().p(text).reply(reaction)
