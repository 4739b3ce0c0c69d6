"""Fetching what a user asks for, safely: http(s) only, bounded in size and time, never
to private, loopback or link-local addresses unless the configuration allows them.

Redirects are followed by hand so every hop is checked again; a host name is
resolved and each of its addresses checked, so ``localhost.example`` pointing
at 127.0.0.1 is refused like 127.0.0.1 itself. The URL is parsed by httpx, the
parser that connects, so the host checked is the host reached; and a plain-http
request connects to the address that was checked, never to a second lookup's
answer (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from ft.core.errors import SourceError

__all__ = ["Fetched", "Fetcher"]

MAX_BYTES = 30 * 1024 * 1024
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "ft/0.1 (local research library)"


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


class _Redirect(Exception):
    """A redirect, raised from httpx's response hook so ``Fetcher.get`` follows it and checks it
    like the first URL, before httpx parses the target (a ``data:`` location breaks its parser)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def _stop_at_redirects(response: httpx.Response) -> None:
    if response.status_code in REDIRECTS and response.headers.get("location"):
        raise _Redirect(response.headers["location"])


def _follow(url: str, location: str) -> str:
    """Where a redirect from ``url`` to ``location`` leads; a location no parser can read is refused."""
    try:
        return urljoin(url, location)
    except ValueError as exc:
        raise SourceError(url, f"refused: the redirect to {location!r} is not a valid URL ({exc})") from exc


class Fetcher:
    """An HTTP client that refuses what a personal tool should never fetch.

    :param allow_hosts: addresses or names allowed even though private (tests allow 127.0.0.1).
    """

    def __init__(self, allow_hosts: tuple[str, ...] = (), timeout: float = 20.0, max_bytes: int = MAX_BYTES) -> None:
        self.allow_hosts = set(allow_hosts)
        self.max_bytes = max_bytes
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT},
                                   event_hooks={"response": [_stop_at_redirects]})

    def check(self, url: str) -> str | None:
        """Raise ``SourceError`` unless ``url`` is http(s) to a public address (or an allowed one).

        Returns the checked address a plain-http request must connect to; ``None`` for an
        allowed host, and for https, whose certificate already binds the connection to the name.
        """
        try:
            parts = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise SourceError(url, f"refused: not a valid URL ({exc})") from exc
        if parts.scheme not in ("http", "https"):
            raise SourceError(url, f"refused: only http and https are fetched, not {parts.scheme or 'a bare path'}")
        host = parts.host
        if not host:
            raise SourceError(url, "refused: no host")
        if host in self.allow_hosts:
            return None
        try:
            infos = socket.getaddrinfo(parts.raw_host.decode("ascii"), parts.port or 443, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            raise SourceError(url, f"cannot resolve {host} ({exc.strerror}); offline?") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))  # resolver order, once each
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                    or ip.is_unspecified) and address not in self.allow_hosts:
                raise SourceError(url, f"refused: {host} is a private, loopback or link-local address ({address})")
        return addresses[0] if parts.scheme == "http" else None

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """GET ``url``, following at most ``MAX_REDIRECTS`` redirects, each hop checked like the first."""
        for _ in range(MAX_REDIRECTS + 1):
            address = self.check(url)
            request = self.client.build_request("GET", url, headers=headers or {})
            named = str(request.url)
            if address is not None:
                request.url = request.url.copy_with(host=address)  # the Host header keeps the name
            try:
                return self._read(named, request)
            except _Redirect as hop:
                url = _follow(url, hop.location)
            except httpx.TimeoutException as exc:
                raise SourceError(url, "timed out") from exc
            except httpx.HTTPError as exc:
                raise SourceError(url, f"cannot fetch: {exc}") from exc
        raise SourceError(url, f"refused: more than {MAX_REDIRECTS} redirects")

    def _read(self, url: str, request: httpx.Request) -> Fetched:
        """Send ``request`` and read the body, refusing it once it passes ``max_bytes``."""
        response = self.client.send(request, stream=True)
        try:
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    raise SourceError(url, f"refused: larger than {self.max_bytes // (1 << 20)} MB")
            return Fetched(url, response.status_code, response.headers.get("content-type", ""), bytes(body),
                           dict(response.headers))
        finally:
            response.close()

    def close(self) -> None:
        self.client.close()
