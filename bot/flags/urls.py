"""Links people flag: validation, the platform behind a host, and the normal form used to find duplicates."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.errors import InvalidInput
from bot.slack.text import escape

MAX_URL_LENGTH = 2000

TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "igshid",
    "igsh",
    "si",
    "mibextid",
    "ref",
    "ref_src",
    "ref_url",
    "feature",
    "s",
    "t",
    "share_id",
    "rdt",
    "_rdr",
    "sfnsn",
    "mc_cid",
    "mc_eid",
    "yclid",
    "__tn__",
    "app",
}
MOBILE_PREFIXES = ("www.", "m.", "mobile.", "mbasic.", "web.", "touch.", "old.", "new.")
HOST_ALIASES = {
    "twitter.com": "x.com",
    "fb.com": "facebook.com",
    "fb.watch": "facebook.com",
    "youtu.be": "youtube.com",
    "redd.it": "reddit.com",
    "instagr.am": "instagram.com",
    "vm.tiktok.com": "tiktok.com",
    "lnkd.in": "linkedin.com",
}

PLATFORMS = {
    "facebook.com": "Facebook",
    "instagram.com": "Instagram",
    "x.com": "X/Twitter",
    "t.co": "X/Twitter",
    "youtube.com": "YouTube",
    "linkedin.com": "LinkedIn",
    "tiktok.com": "TikTok",
    "reddit.com": "Reddit",
}
NEWS_HOSTS = {
    "cbc.ca",
    "ctvnews.ca",
    "globalnews.ca",
    "cp24.com",
    "citynews.ca",
    "thestar.com",
    "nationalpost.com",
    "theglobeandmail.com",
    "calgaryherald.com",
    "edmontonjournal.com",
    "calgarysun.com",
    "edmontonsun.com",
    "lethbridgeherald.com",
    "lethbridgenewsnow.com",
    "tabertimes.com",
    "westlocknews.com",
    "lfpress.com",
    "londonfreepress.com",
    "cknx.ca",
    "saskatoonstarphoenix.com",
    "leaderpost.com",
    "kindersleysocial.ca",
    "discoverwestlock.com",
    "620ckrm.com",
    "reuters.com",
    "apnews.com",
    "torontosun.com",
    "vancouversun.com",
    "ottawacitizen.com",
    "montrealgazette.com",
    "huffpost.com",
    "bnnbloomberg.ca",
    "rdnewsnow.com",
}
NEWS_HINTS = re.compile(r"(news|herald|times|journal|gazette|sun|post|press|tribune|observer|star)", re.I)

URL_IN_TEXT = re.compile(
    r"<((?:https?|ftp|file|javascript|data)://?[^|>\s]+)(?:\|[^>]*)?>|((?:https?://|www\.)[^\s<>]+)", re.I
)
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.startswith("vm.tiktok.com"):
        return "tiktok.com"
    changed = True
    while changed:
        changed = False
        for prefix in MOBILE_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host = host[len(prefix) :]
                changed = True
    return HOST_ALIASES.get(host, host)


def validate_url(raw: str, field: str | None = None) -> str:
    """The link as given, made absolute; InvalidInput in plain words when it cannot be flagged."""
    text = raw.strip().strip("<>").split("|", 1)[0].strip()
    if not text:
        raise InvalidInput("Please paste the link to the post (it starts with https://).", field)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(
            f"That link is longer than {MAX_URL_LENGTH} characters; please paste the post's own address.",
            field,
        )
    scheme = SCHEME.match(text)
    if scheme and scheme.group(1).lower() not in ("http", "https") and not text.lower().startswith("www."):
        raise InvalidInput(
            f"Only web links can be flagged (http:// or https://), not {scheme.group(1).lower()}: links.",
            field,
        )
    if not scheme:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if not host or "." not in host or any(ch.isspace() for ch in text) or host.startswith("."):
        raise InvalidInput(
            f"“{escape(raw.strip()[:80])}” is not a web link. Paste the post's address, like "
            "https://www.facebook.com/yourtown/posts/123.",
            field,
        )
    return text


def normalize_url(url: str) -> str:
    """The same post reached by different links gets the same key (host aliases, tracking, slashes…)."""
    parts = urlsplit(url.strip())
    host = _canonical_host(parts.hostname or "")
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=False)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    original_host = (parts.hostname or "").lower()
    if original_host.endswith("youtu.be") and path.strip("/"):
        query.append(("v", path.strip("/")))
        path = "/watch"
    elif host == "youtube.com" and path.startswith("/shorts/"):
        query.append(("v", path.split("/")[2]))
        path = "/watch"
    path = path.rstrip("/") or ""
    return urlunsplit(("https", host, path, urlencode(sorted(query)), ""))


def platform_of(url: str) -> str:
    host = _canonical_host(urlsplit(url).hostname or "")
    for domain, name in PLATFORMS.items():
        if host == domain or host.endswith("." + domain):
            return name
    if host in NEWS_HOSTS or any(host.endswith("." + news) for news in NEWS_HOSTS):
        return "News site"
    if NEWS_HINTS.search(host.split(".")[0] if host.count(".") else host):
        return "News site"
    return "Other website"


def find_url(text: str) -> tuple[str | None, str]:
    """The first link in a line of text, and the text without it (Slack may wrap links in <…>)."""
    match = URL_IN_TEXT.search(text)
    if not match:
        return None, text.strip()
    url = match.group(1) or match.group(2)
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return url.rstrip(".,);!?"), re.sub(r"\s{2,}", " ", rest)


DOMAIN_LIKE = re.compile(r"^<?[\w-]+(\.[\w-]+)+(/|>|$)")


def looks_like_link(token: str) -> bool:
    """Whether a word was meant as a link (so a broken one gets an error rather than being read as a note)."""
    return bool(SCHEME.match(token) or "//" in token or DOMAIN_LIKE.match(token))
