"""One way to name an item inside Slack payloads: which item, of which kind, at which step and version.

Every button value, block_id and private_metadata that points at an item carries one encoded `Ref`, such as
`flag-12-v3` or `request-5-s2-v4`. A decoded Ref says which item it points at and nothing more: the service
still checks who is acting, and refuses a stale version with a plain sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import NotFound

MAX_ID = 2**31 - 1  # the largest id every database here stores
_REF = re.compile(r"([a-z][a-z_]{0,23})-([0-9]{1,10})(?:-s([0-9]{1,6}))?(?:-v([0-9]{1,9}))?")
_BLOCK = re.compile(r"([a-z][a-z_]{0,23}):(.{1,200})")


@dataclass(frozen=True)
class Ref:
    kind: str  # "flag", "request", "page", "question"…
    id: int
    version: int | None = None  # the item's version when the card was drawn
    step: int | None = None  # an approval step, a page's attempt…

    def encode(self) -> str:
        text = f"{self.kind}-{self.id}"
        if self.step is not None:
            text += f"-s{self.step}"
        if self.version is not None:
            text += f"-v{self.version}"
        return text

    def __str__(self) -> str:
        return self.encode()


def decode(value: object, kind: str | None = None) -> Ref:
    """The Ref in a button value or private_metadata. Anything else (a forged, truncated or out-of-range
    value, or an item of another kind) is NotFound, in words the user can act on."""
    match = _REF.fullmatch(value) if isinstance(value, str) and value.isascii() else None
    if match is None or (kind is not None and match.group(1) != kind):
        raise NotFound(
            "That button no longer points at anything Flagpost knows; the message may be out of date."
        )
    item_id = int(match.group(2))
    if not 0 < item_id <= MAX_ID:
        raise NotFound(
            "That button no longer points at anything Flagpost knows; the message may be out of date."
        )
    step, version = match.group(3), match.group(4)
    return Ref(match.group(1), item_id, int(version) if version else None, int(step) if step else None)


def block_id(purpose: str, ref: Ref) -> str:
    """A block_id that carries a Ref, for elements with no value of their own (selects)."""
    return f"{purpose}:{ref.encode()}"


def from_block_id(value: object, kind: str | None = None) -> Ref:
    match = _BLOCK.fullmatch(value) if isinstance(value, str) else None
    return decode(match.group(2) if match else None, kind)
