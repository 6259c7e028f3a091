"""Which URLs may be fetched: allowlisted hosts, schemes, ports and public addresses only.

Every check names the setting that would allow what it refuses.
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import urlsplit

from tokenls.config import HttpSettings


class UrlRefused(Exception):
    """A URL tokenls will not fetch, naming the setting that would allow it."""


def host_key(url: str) -> str:
    """``host:port`` (the port only when explicit), lower-case: the rate-limit key.
    IPv6 literals keep their brackets (``[::1]:8123``), as they are written in URLs."""
    parts = urlsplit(url)
    host = _bracketed((parts.hostname or "").lower())
    return f"{host}:{parts.port}" if parts.port else host


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def host_listed(url: str, entries: tuple[str, ...] | list[str]) -> bool:
    """Whether ``url``'s host (or host:port) is in a list of ``host``/``host:port`` entries;
    an IPv6 host matches written with or without brackets."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    wanted = {host_key(url), host, _bracketed(host)}
    return any(entry.strip().lower() in wanted for entry in entries)


def check_url(url: str, http: HttpSettings) -> str:
    """The rate key of an allowed URL, or ``UrlRefused`` saying what would allow it."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[oops/", from a prompt or a redirect's Location
        raise UrlRefused("the URL is malformed") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"only http(s) URLs are fetched, not {parts.scheme or 'this'}")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("URLs with credentials are refused: use http.headers instead")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise UrlRefused("the URL has an invalid port") from None
    key = host_key(url)
    if not host_listed(url, http.allow_hosts):
        raise UrlRefused(f"{key} is not allowed (add it to http.allow_hosts)")
    if parts.scheme == "http" and not http.allow_http:
        raise UrlRefused("plain http:// is refused (set http.allow_http = true)")
    return key


async def check_addresses(url: str, http: HttpSettings) -> None:
    """Refuse a host whose resolved addresses are private, unless that host is private-ok."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]  # an allowlisted IP literal was chosen on purpose
        if host_listed(url, http.allow_hosts):
            return
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, parts.port or (443 if parts.scheme == "https" else 80)
            )
        except OSError as exc:
            raise UrlRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    private = [
        a for a in addresses if a.is_private or a.is_loopback or a.is_link_local or a.is_reserved
    ]
    if private and not host_listed(url, http.allow_private_hosts):
        raise UrlRefused(
            f"{host} resolves to a private address ({private[0]}); "
            "add it to http.allow_private_hosts to allow"
        )
