"""User text on its way into Slack. Escape `&`, `<`, `>` so nobody can inject `<!channel>`, a mention or a
disguised link; build links from checked URLs only."""

from __future__ import annotations

from datetime import datetime


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Text as Slack sends it (a slash command's or a message's, with `&`, `<`, `>` escaped) back to what the
    person typed, so that it is escaped once, not twice, on its way out."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def link(url: str, label: str) -> str:
    """A mrkdwn link whose target cannot smuggle in a second label or close the link early."""
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def quote(text: str, limit: int = 600) -> str:
    """A block quote of user text, escaped and trimmed."""
    body = escape(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")
    return "\n".join(">" + line for line in body.splitlines() or [""])


def slack_date(moment: datetime, token: str = "{date_short_pretty} at {time}") -> str:
    """Shown in each reader's own time zone by Slack, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{token}|{fallback}>"


def plain(text: str, limit: int) -> str:
    """Trim for plain_text fields, which Slack caps (a header at 150 characters, an option at 75)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
