"""Links people flag: validation, the platform behind a host, and the normal form used to find duplicates."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bot.errors import InvalidInput
from bot.slack.text import escape

MAX_URL_LENGTH = 2000
MAX_SCANNED = 40_000  # Slack's own limit on a message's text: no link to find lies further in

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

# Linear on any text: no part of a `<…>` token may contain another `<`, so each attempt stops at the next
# one (with `[^>]` instead, 4,000 unclosed `<ftp://a` took seconds: every `<` scanned to the end).
URL_IN_TEXT = re.compile(
    r"<((?:https?|ftp|file|javascript|data)://?[^|<>\s]+)(?:\|[^<>]*)?>|((?:https?://|www\.)[^\s<>]+)", re.I
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
    """The link made absolute and written the way a browser reads it (see `browser_url`), so the card shows,
    and links to, the host a browser would open; InvalidInput in plain words when it cannot be flagged."""
    text = raw.strip().strip("<>").split("|", 1)[0].strip()
    if not text:
        raise InvalidInput("Please paste the link to the post (it starts with https://).", field)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(
            f"That link is longer than {MAX_URL_LENGTH} characters; please paste the post's own address.",
            field,
        )
    scheme = SCHEME.match(text)
    if scheme and "." not in scheme.group(1) and scheme.group(1).lower() not in ("http", "https"):
        raise InvalidInput(
            f"Only web links can be flagged (http:// or https://), not {scheme.group(1).lower()}: links.",
            field,
        )
    if not scheme or "." in scheme.group(1):  # "town.ca/x" or "www.town.ca:443/x": a host, not a scheme
        text = "https://" + text
    url = None if any(ch.isspace() for ch in text) else browser_url(text)
    host = urlsplit(url).hostname or "" if url else ""
    if "." not in host.strip(".") or host.startswith("."):
        raise InvalidInput(
            f"“{escape(raw.strip()[:80])}” is not a web link. Paste the post's address, like "
            "https://www.facebook.com/yourtown/posts/123.",
            field,
        )
    return url  # type: ignore[return-value]  # a host implies a url


# ----- URLs as browsers read them (the WHATWG URL Standard, for http and https)

_AUTHORITY_END = re.compile(r"[/\\?#]")
_PORT = re.compile(r"[0-9]{0,5}")
# WHATWG's forbidden domain code points (after percent-decoding), and "%" and "." misuse left to IDNA.
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")
DEFAULT_PORTS = {"http": "80", "https": "443"}


def browser_url(text: str) -> str | None:
    """An absolute http(s) URL as a browser reads it, written out so that every parser reads it the same
    way; None when a browser would not open it. Python's urlsplit and a browser disagree on some links:
    `https://evil.example\\@www.facebook.com/` is facebook.com to urlsplit and evil.example to a browser,
    because a browser reads a backslash as a slash in http(s). Here the host is the browser's: slashes and
    backslashes before it skipped, the authority ended by either, user info dropped, the host
    percent-decoded, IDNA-encoded and lowercased, a numeric host read as IPv4, the default port dropped."""
    scheme, _, rest = text.partition(":")
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    rest = rest.lstrip("/\\")
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    host_text, _, port = authority.rpartition("@")[2].partition(":")
    if not _PORT.fullmatch(port) or (port and int(port) > 65535) or host_text.startswith("["):
        return None
    host = _browser_host(host_text)
    if host is None:
        return None
    port = "" if port in ("", DEFAULT_PORTS[scheme]) else f":{int(port)}"
    cut = min((at for at in (tail.find("?"), tail.find("#")) if at >= 0), default=len(tail))
    path = tail[:cut].replace("\\", "/") or "/"  # query and fragment keep their backslashes
    url = f"{scheme}://{host}{port}{path}{tail[cut:]}"
    return url if urlsplit(url).hostname == host else None  # refuse what the two parsers still disagree on


def _browser_host(text: str) -> str | None:
    try:
        host = unquote(text, errors="strict")
        host = host.lower() if host.isascii() else host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if not host or _FORBIDDEN_IN_HOST.search(host):
        return None
    labels = host.split(".")
    last = labels[-1] or (labels[-2] if len(labels) > 1 else "")
    if last.isdigit() or _ipv4_number(last) is not None:
        return _ipv4(labels)
    return host


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 host as browsers read it: decimal, 0x hexadecimal, or 0-led octal."""
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, radix = part[1:], 8
    if not part:
        return 0 if radix != 10 else None
    try:
        return int(part, radix) if part.isascii() and part.isalnum() else None
    except ValueError:
        return None


def _ipv4(labels: list[str]) -> str | None:
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]
    numbers = [_ipv4_number(label) for label in labels]
    if len(labels) > 4 or any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    address = last + sum(n * 256 ** (3 - i) for i, n in enumerate(leading))
    return ".".join(str(address >> shift & 255) for shift in (24, 16, 8, 0))


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


def host_of(url: str) -> str:
    """The host a browser opens for a link `validate_url` accepted."""
    return urlsplit(url).hostname or ""


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
    match = URL_IN_TEXT.search(text, 0, MAX_SCANNED)
    if not match:
        return None, text.strip()
    url = match.group(1) or match.group(2)
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return url.rstrip(".,);!?"), re.sub(r"\s{2,}", " ", rest)


DOMAIN_LIKE = re.compile(r"^<?[\w-]+(\.[\w-]+)+(/|>|$)")


def looks_like_link(token: str) -> bool:
    """Whether a word was meant as a link (so a broken one gets an error rather than being read as a note).
    Its start is enough to tell; a word far longer than any link is then refused as too long."""
    start = token[: MAX_URL_LENGTH + 10]
    return bool(SCHEME.match(start) or "//" in start or DOMAIN_LIKE.match(start))
