"""Where a webhook may be sent: the server-side request forgery guard.

A URL is refused unless it is plain ASCII http(s) without credentials or a
fragment, and https unless its host is allow-listed
(PROCURA_WEBHOOK_ALLOW_HOSTS). Every address its host resolves to must be a
global unicast address: loopback, private, link-local, shared, multicast,
unspecified, reserved and cloud-metadata addresses are refused, unless the
host is allow-listed. The sender checks again at every delivery and connects
to the very address it checked, so a name re-pointed after the check (DNS
rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
#: How a webhook URL is spelt: http(s), a host name of ASCII letters, digits
#: and hyphens (a unicode host in its xn-- form) or an IP address, a port in
#: 1-65535, then a path and query of printable ASCII; no user, password or fragment.
_H4, _V4 = "[0-9A-Fa-f]{1,4}", r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
#: An IPv6 address as RFC 4291 spells it (no zone).
_IPV6 = "|".join([
    rf"(?:{_H4}:){{7}}{_H4}", rf"(?:{_H4}:){{1,7}}:", rf"(?:{_H4}:){{1,6}}:{_H4}",
    *(rf"(?:{_H4}:){{1,{5 - n}}}(?::{_H4}){{1,{n + 2}}}" for n in range(4)),
    rf"{_H4}:(?::{_H4}){{1,6}}", rf":(?:(?::{_H4}){{1,7}}|:)",
    rf"(?:{_H4}:){{6}}{_V4}", rf"::(?:{_H4}:){{0,5}}{_V4}",
    *(rf"{_H4}(?::{_H4}){{{k - 1}}}::(?:{_H4}:){{0,{5 - k}}}{_V4}" for k in range(1, 6))])
URL_PATTERN = (rf"^[hH][tT][tT][pP][sS]?://(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[(?:{_IPV6})\])"
               rf"(?::{_PORT})?(?:[/?][\x21-\x22\x24-\x7e]*)?$")
#: Cloud providers' instance metadata services, on addresses that may look global.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "192.0.0.192"))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data"})

URL_RULE = ("an http:// or https:// URL: a host of ASCII letters, digits, dots and hyphens (a unicode host in its "
            "xn-- form) or an IP address, a port in 1-65535, no user or password, no #fragment")
_HOST = re.compile(r"^[a-z0-9][a-z0-9.-]*$")

Resolver = Callable[[str, int], list[str]]


class UrlRefused(Exception):
    """The URL may not receive webhooks; `code` and `detail` say why."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Target:
    """A parsed webhook URL: where to connect and what to ask for."""

    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse(url: str, allow_hosts: Collection[str]) -> Target:
    """The URL's parts, or UrlRefused for a URL no webhook may go to
    (whatever its host resolves to)."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused("too-long", f"at most {MAX_URL_LENGTH} characters")
    if not re.fullmatch(URL_PATTERN, url):
        raise UrlRefused("invalid-url", URL_RULE)
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as error:
        raise UrlRefused("invalid-url", f"not a URL: {error}") from None
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("invalid-url", "no user name or password in the URL: the signature authenticates Procura")
    if parts.fragment or "#" in url:
        raise UrlRefused("invalid-url", "no fragment (#...): it is never sent")
    if not host or not (_is_address(host) or _HOST.fullmatch(host)):
        raise UrlRefused("invalid-url", "the host must be a DNS name or an IP address")
    if port == 0:
        raise UrlRefused("invalid-url", "port 0 is not a port; use 1-65535")
    scheme = parts.scheme.lower()
    if scheme != "https" and host not in allow_hosts:
        raise UrlRefused("https-required", "webhooks are sent over https only (PROCURA_WEBHOOK_ALLOW_HOSTS "
                         "exempts listed hosts)")
    if host in METADATA_NAMES and host not in allow_hosts:
        raise UrlRefused("address-refused", f"{host} is a cloud metadata service")
    path = parts.path or "/"
    return Target(scheme, host, port or (443 if scheme == "https" else 80),
                  path + (f"?{parts.query}" if parts.query else ""))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def refusal(address: str) -> str | None:
    """Why webhooks may not go to `address`, or None when they may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for quality in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{quality}"):
            return f"a {quality.replace('_', '-')} address"
    if not ip.is_global:
        return "not a global address"
    return None


def system_resolver(timeout: float) -> Resolver:
    """getaddrinfo bounded by `timeout` (it has no timeout of its own): a
    name not answered in time resolves to nothing."""

    def resolve(host: str, port: int) -> list[str]:
        found: list[str] = []

        def lookup() -> None:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                return
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))

        thread = threading.Thread(target=lookup, daemon=True, name="procura-webhook-dns")
        thread.start()
        thread.join(timeout)
        return list(found) if not thread.is_alive() else []

    return resolve


def addresses(target: Target, allow_hosts: Collection[str], resolve: Resolver) -> list[str]:
    """The addresses to connect to (in resolver order); UrlRefused when the
    host resolves to a refused address, or to none. An allow-listed host is
    exempt from the address rules."""
    found = [target.host] if _is_address(target.host) else resolve(target.host, target.port)
    if not found:
        raise UrlRefused("unresolvable", f"{target.host} does not resolve")
    if target.host in allow_hosts:
        return found
    for address in found:
        reason = refusal(address)
        if reason:
            where = f"{target.host} is" if target.host == address else f"{target.host} resolves to {address},"
            raise UrlRefused("address-refused", f"{where} {reason}; "
                             "webhooks go to public addresses only (PROCURA_WEBHOOK_ALLOW_HOSTS exempts listed hosts)")
    return found


def check_url(url: str, allow_hosts: Collection[str], resolve: Resolver) -> Target:
    """What an endpoint's URL is checked with when it is created or changed:
    the rules and the addresses its host resolves to now. A name that does
    not resolve yet is accepted (every delivery resolves it again)."""
    target = parse(url, allow_hosts)
    try:
        addresses(target, allow_hosts, resolve)
    except UrlRefused as refused:
        if refused.code != "unresolvable":
            raise
    return target
