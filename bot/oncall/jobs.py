"""On call's scheduled work that is not a `due_at` row of its own: fetching the link to a paged item's card
once the card is posted, so every page DM can point at it (chat.getPermalink)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.oncall import paging
from bot.slack.door import SlackCallFailed

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def fetch_card_links(rt: Runtime) -> int:
    """A tick: for pages whose item card is posted but not yet linked, ask Slack for the card's permalink.
    Replicas may both ask; only the first answer is kept (`record_card_link` writes it once)."""
    linked = 0
    for page_id, channel, ts in rt.read(paging.pages_needing_link):
        try:
            url = rt.door.permalink(channel, ts)
        except SlackCallFailed as exc:
            if not exc.permanent:
                continue  # try again on the next tick
            log.warning(
                "page %s: no link to its card (%s); the DM names the channel instead", page_id, exc.error
            )
            url = ""
        linked += bool(rt.run(paging.record_card_link, page_id=page_id, link=url))
    return linked
