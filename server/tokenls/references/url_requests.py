"""One GET of a URL reference, as the fetcher sends it: every redirect hop checked again
(scheme, host, addresses), the headers configured for the host sent (values from the
environment never echoed), the body bounded at every layer of content coding, and its text
decoded."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tokenls.config import HttpSettings
from tokenls.references.content_coding import (
    ACCEPT,
    CodingRefused,
    Decoded,
    TooLarge,
    Undecodable,
)
from tokenls.references.url_checks import UrlRefused, check_addresses, check_url, host_key

MAX_REDIRECTS = 5


async def get_following_redirects(
    http: HttpSettings,
    url: str,
    entry: dict[str, Any] | None,
    client: httpx.AsyncClient,
    trace: Callable[[str, Any], Awaitable[None]] | None = None,
) -> tuple[int, Mapping[str, str], bytes, str, str]:
    """(status, headers, body, final URL, charset) of a GET that follows at most
    ``MAX_REDIRECTS`` redirects itself, so each hop is checked before it is sent; a cached
    ``entry`` makes the first request conditional."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, http)
        await check_addresses(current, http)
        headers = request_headers(http, current)
        if entry and current == url:
            if entry.get("etag"):
                headers["If-None-Match"] = entry["etag"]
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = entry["last_modified"]
        if not any(name.lower() == "accept-encoding" for name in headers):
            headers["Accept-Encoding"] = ACCEPT  # only the codings read_body can undo
        extensions = {"trace": trace} if trace is not None else None
        async with client.stream(
            "GET", current, headers=headers, extensions=extensions
        ) as response:
            if response.is_redirect and "location" in response.headers:
                try:
                    current = urljoin(current, response.headers["location"])
                except ValueError:
                    refused = f"{host_key(current)} redirected to a malformed URL"
                    raise UrlRefused(refused) from None
                continue
            body = await read_body(http, response, current)
            encoding = response.charset_encoding or "utf-8"
            return response.status_code, dict(response.headers), bytes(body), current, encoding
    raise UrlRefused(f"more than {MAX_REDIRECTS} redirects")


async def read_body(http: HttpSettings, response: httpx.Response, url: str) -> bytes:
    """The body with every layer of content coding undone, refused as soon as any layer
    passes ``http.max_bytes`` (so a small compressed bomb never expands in memory)."""
    limit = http.max_bytes
    too_large = UrlRefused(
        f"response from {host_key(url)} is over the {limit:,}-byte limit (http.max_bytes)"
    )
    try:
        decoded = Decoded(response.headers.get_list("content-encoding", split_commas=True), limit)
        body = bytearray()
        async for raw in response.aiter_raw():
            for piece in decoded.feed(raw):
                body += piece
                if len(body) > limit:
                    raise too_large
    except CodingRefused as exc:
        raise UrlRefused(f"response from {host_key(url)}: {exc}") from None
    except TooLarge:
        raise too_large from None
    except Undecodable as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from None
    return bytes(body)


def request_headers(http: HttpSettings, url: str) -> dict[str, str]:
    """The headers sent to ``url``'s host: those configured for it, ``env:`` values read
    from the environment at each request."""
    parts = urlsplit(url)
    configured = (
        http.headers.get(host_key(url)) or http.headers.get((parts.hostname or "").lower()) or {}
    )
    headers: dict[str, str] = {"User-Agent": "tokenls"}
    for name, value in configured.items():
        if value.startswith("env:"):
            secret = os.environ.get(value[4:])
            if secret is None:
                continue  # a missing secret is not sent, and never echoed
            value = secret
        headers[name] = value
    return headers


def header_secrets(http: HttpSettings) -> list[str]:
    """Every header value configured for any host, as it is sent (a redirect can carry
    one host's secret into a message about another)."""
    values = []
    for table in http.headers.values():
        for value in table.values():
            sent = os.environ.get(value[4:], "") if value.startswith("env:") else value
            values.append(sent)
    return values


def body_text(http: HttpSettings, body: bytes, headers: Mapping[str, str], encoding: str) -> str:
    """The body as the text counted: its charset (UTF-8 when unknown), JSON re-indented
    when ``http.pretty_json`` asks."""
    try:
        text = body.decode(encoding, "replace")
    except LookupError:  # an unknown charset name
        text = body.decode("utf-8", "replace")
    if http.pretty_json and "json" in headers.get("content-type", ""):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            return text
    return text
