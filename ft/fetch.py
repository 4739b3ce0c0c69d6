"""Fetching what a user asks for, safely: http(s) only, bounded in size and time, never
to private, loopback or link-local addresses unless the configuration allows them.

Redirects are followed by hand so every hop is checked again; a host name is
resolved and each of its addresses checked, so ``localhost.example`` pointing
at 127.0.0.1 is refused like 127.0.0.1 itself.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import SourceError

__all__ = ["Fetched", "Fetcher"]

MAX_BYTES = 30 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "ft/0.1 (local research library)"


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


class Fetcher:
    """An HTTP client that refuses what a personal tool should never fetch.

    :param allow_hosts: addresses or names allowed even though private (tests allow 127.0.0.1).
    """

    def __init__(self, allow_hosts: tuple[str, ...] = (), timeout: float = 20.0, max_bytes: int = MAX_BYTES) -> None:
        self.allow_hosts = set(allow_hosts)
        self.max_bytes = max_bytes
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT})

    def check(self, url: str) -> None:
        """Raise ``SourceError`` unless ``url`` is http(s) to a public address (or an allowed one)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise SourceError(url, f"refused: only http and https are fetched, not {parts.scheme or 'a bare path'}")
        host = parts.hostname or ""
        if not host:
            raise SourceError(url, "refused: no host")
        if host in self.allow_hosts:
            return
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
        except socket.gaierror as exc:
            raise SourceError(url, f"cannot resolve {host} ({exc.strerror}); offline?") from exc
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                    or ip.is_unspecified) and address not in self.allow_hosts:
                raise SourceError(url, f"refused: {host} is a private, loopback or link-local address ({address})")

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        for _ in range(MAX_REDIRECTS + 1):
            self.check(url)
            try:
                with self.client.stream("GET", url, headers=headers or {}) as response:
                    if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
                        url = urljoin(url, response.headers["location"])
                        continue
                    body = bytearray()
                    for piece in response.iter_bytes():
                        body += piece
                        if len(body) > self.max_bytes:
                            raise SourceError(url, f"refused: larger than {self.max_bytes // (1 << 20)} MB")
                    return Fetched(str(response.url), response.status_code,
                                   response.headers.get("content-type", ""), bytes(body), dict(response.headers))
            except httpx.TimeoutException as exc:
                raise SourceError(url, "timed out") from exc
            except httpx.HTTPError as exc:
                raise SourceError(url, f"cannot fetch: {exc}") from exc
        raise SourceError(url, f"refused: more than {MAX_REDIRECTS} redirects")

    def close(self) -> None:
        self.client.close()
