"""Canonical URLs: one spelling per page, so the same thing saved twice is one item.

Tracking parameters go (utm_*, fbclid, gclid, …), hosts are lowercased and
lose ``www.``, fragments go, twitter.com / mobile.twitter.com / x.com become
``x.com``, and arXiv abs/pdf/versioned links become ``https://arxiv.org/abs/<id>``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["arxiv_id", "canonical_url", "tweet_url"]

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|ref_src|ref_url|s|t|si|cn|cmpid)$", re.I)
_ARXIV = re.compile(r"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv:)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?", re.I)
_X_HOSTS = {"twitter.com", "mobile.twitter.com", "x.com", "mobile.x.com"}


def arxiv_id(text: str) -> str | None:
    """The arXiv id in an abs/pdf URL or ``arxiv:ID``, without its version."""
    match = _ARXIV.search(text)
    return match.group(1) if match else None


def tweet_url(handle: str | None, tweet_id: str) -> str:
    return f"https://x.com/{handle or 'i/web'}/status/{tweet_id}"


def canonical_url(url: str) -> str:
    """The one spelling of ``url`` that ft stores; unparseable input is returned stripped."""
    url = url.strip()
    found = arxiv_id(url)
    if found and "arxiv" in url.lower():
        return f"https://arxiv.org/abs/{found}"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 raises here
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower().removeprefix("www.")
    if host in _X_HOSTS:
        host = "x.com"
    port = f":{port}" if port and port not in (80, 443) else ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https" if host in ("x.com",) else parts.scheme.lower(), host + port, path, query, ""))
