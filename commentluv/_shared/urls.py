"""URL handling (pure): commenter input → canonical http(s) URL, and safe link resolution.

Everything here works on strings only; nothing resolves names or opens sockets.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, quote, urljoin, urlsplit, urlunsplit

from ..errors import InvalidURL
from .printable import UNPRINTABLE

__all__ = [
    "DEFAULT_PORTS",
    "MAX_URL_LENGTH",
    "canonical_host",
    "fediverse_handle",
    "normalize_site_url",
    "safe_http_url",
    "same_site",
    "site_host",
]

MAX_URL_LENGTH = 2048

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_HOST_PORT_RE = re.compile(r"^[^/?#:@]+:\d+(?:[/?#]|$)")
# Schemes a browser or an OS acts on: "javascript:80" is one of them, not a host and a port.
# A name that is only a scheme by accident ("blog:8080") still reads as host and port.
_KNOWN_SCHEMES = frozenset(
    {
        "about", "blob", "chrome", "data", "file", "filesystem", "ftp", "ftps", "gopher",
        "intent", "irc", "jar", "javascript", "ldap", "mailto", "news", "nntp", "sftp", "sms",
        "smb", "ssh", "tel", "telnet", "vbscript", "view-source", "ws", "wss",
    }
)  # fmt: skip
# A fediverse handle typed where a website goes: "@alice@host" or "alice@host" (a host name
# with a dot: a server's name, never an address or a port); and a Bluesky handle that is a
# bsky.social host, which serves no page of its own.
# Anchored at both ends (\A, \Z), as the other patterns here are at their start: each is
# only ever matched against a whole typed value, never searched through one.
_FEDIVERSE_HANDLE_RE = re.compile(
    r"\A@?([A-Za-z0-9_](?:[\w.-]{0,62}[\w])?)@((?:[^\s@/:?#.]+\.)+[^\s@/:?#.]+)\Z"
)
_BLUESKY_HANDLE_RE = re.compile(
    r"\A(?:@|https?://)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.bsky\.social)/?\Z",
    re.IGNORECASE,
)
_FEDIVERSE_PROFILE_RE = re.compile(
    r"\Ahttps?://([^/?#@]+)/@([A-Za-z0-9_](?:[\w.-]{0,62}[\w])?)/?\Z"
)
# Browsers silently drop tab and newline inside URLs ("java\tscript:" is javascript:).
_URL_WHITESPACE_RE = re.compile("[\t\n\r]")
_ANY_WHITESPACE_RE = re.compile(r"\s")  # str.isspace()'s characters
_HOST_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# Characters kept as they are when re-quoting a path or query; everything else
# (non-ASCII, spaces, quotes, angle brackets) is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
# Each scheme's port when a URL names none: the one home of these numbers.
DEFAULT_PORTS = {"http": 80, "https": 443}
_ABSOLUTE_HTTP_RE = re.compile(r"https?://[^/?#]", re.IGNORECASE)
# A URL that is canonical as written, the way most feed and page links come: lower-case
# scheme and host name (labels of at most 63 letters, digits and inner hyphens, the last one
# starting with a letter: no IP address spelling), and only characters that quoting keeps as
# they are.
_CANONICAL_TAIL = (
    r"(/[A-Za-z0-9/%:@!$&'()*+,;=._~-]*)?"
    r"(\?[A-Za-z0-9/%:@!$&'()*+,;=._~?-]*)?(#[A-Za-z0-9/%:@!$&'()*+,;=._~?-]*)?"
)
_CANONICAL_RE = re.compile(
    r"(https?)://((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"(?::([1-9][0-9]{0,4}))?" + _CANONICAL_TAIL
)
_CANONICAL_TAIL_RE = re.compile(_CANONICAL_TAIL)  # path, query and fragment


def normalize_site_url(raw: str) -> str:
    """Turn what a commenter typed into a canonical ``http(s)://host[:port]/path[?query]``.

    Accepts ``example.com``, ``www.example.com/blog``, ``HTTP://Example.COM``, IDN hosts,
    surrounding spaces and ``feed:``/``feed://`` prefixes, and handles (``@alice@host``,
    ``alice.bsky.social``: see :func:`_handle_site`). Raises :class:`InvalidURL` for
    anything that is not http(s) after normalisation, userinfo, an empty or malformed host,
    control characters, or more than 2,048 characters. The fragment is dropped.
    """
    text = _typed_text(raw)
    handle_site = _handle_site(text)
    if handle_site is not None:
        return handle_site
    canonical = _already_canonical(text, keep_fragment=False)
    if canonical is not None:  # what most commenters' URLs are, once a form has tidied them
        return canonical
    text = _strip_feed_prefix(text)
    match = _SCHEME_RE.match(text)
    if match and (not _HOST_PORT_RE.match(text) or match.group(1).lower() in _KNOWN_SCHEMES):
        scheme = match.group(1).lower()
        if scheme not in ("http", "https"):
            raise InvalidURL(f"not an http(s) URL (scheme {scheme!r})")
        if not text[match.end() :].startswith("//"):
            raise InvalidURL("URL has no host")
    elif text.startswith("//"):
        text = "http:" + text
    else:
        text = "http://" + text
    return _canonicalize(text)


def _typed_text(raw: str) -> str:
    """``raw`` without surrounding spaces, or InvalidURL for what no URL may hold."""
    if not isinstance(raw, str):
        raise InvalidURL("URL must be a string")
    text = raw.strip()
    if not text:
        raise InvalidURL("empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL longer than {MAX_URL_LENGTH} characters")
    if UNPRINTABLE.search(text) or _ANY_WHITESPACE_RE.search(text):
        raise InvalidURL("URL contains control or whitespace characters")
    return text


def _handle_site(text: str) -> str | None:
    """The site a handle names: a fediverse handle's profile ``https://host/@user`` (the
    lookup asks the server's WebFinger when that page names no feed), a ``*.bsky.social``
    handle's ``https://bsky.app/profile/<handle>`` (its feed by rule, no request more)."""
    bluesky = _BLUESKY_HANDLE_RE.fullmatch(text)
    if bluesky is not None:
        return f"https://bsky.app/profile/{bluesky.group(1).lower()}"
    handle = _FEDIVERSE_HANDLE_RE.fullmatch(text)
    if handle is None:
        return None
    host = canonical_host(handle.group(2))
    if "." not in host or _parse_ipv4(host) is not None:
        raise InvalidURL(f"not a fediverse server's name: {handle.group(2)!r}")
    return f"https://{host}/@{handle.group(1).lower()}"


def fediverse_handle(site: str) -> tuple[str, str] | None:
    """(user, host) of a fediverse profile URL ``https://host/@user``, as a handle's site
    is; None for any other URL."""
    match = _FEDIVERSE_PROFILE_RE.fullmatch(site)
    return (match.group(2), match.group(1)) if match else None


def _strip_feed_prefix(text: str) -> str:
    lowered = text.lower()
    if lowered.startswith("feed://"):
        return "http://" + text[len("feed://") :]
    if lowered.startswith("feed:"):
        return text[len("feed:") :]
    return text


def _canonicalize(text: str, *, keep_fragment: bool = False) -> str:
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise InvalidURL(f"malformed URL: {exc}") from None
    return _canonical_parts(parts, keep_fragment=keep_fragment)


def _canonical_parts(parts: SplitResult, *, keep_fragment: bool) -> str:
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL(f"not an http(s) URL (scheme {scheme!r})")
    netloc = parts.netloc
    if "@" in netloc:
        raise InvalidURL("URLs with a user name or password are not accepted")
    host = canonical_host(parts.hostname or "")
    if port == 0:
        raise InvalidURL("port 0 is not a valid port")
    host_text = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host_text = f"{host_text}:{port}"
    try:
        path = quote(parts.path, safe=_PATH_SAFE) or "/"
        query = quote(parts.query, safe=_QUERY_SAFE)
        fragment = quote(parts.fragment, safe=_QUERY_SAFE) if keep_fragment else ""
    except UnicodeError:  # lone surrogates cannot be percent-encoded
        raise InvalidURL("URL contains characters that cannot be encoded") from None
    url = urlunsplit((scheme, host_text, path, query, fragment))
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL longer than {MAX_URL_LENGTH} characters")
    return url


@functools.lru_cache(maxsize=4096)
def canonical_host(host: str) -> str:
    """Lower-case ASCII form of a URL host, with numeric IPv4 spellings made dotted-quad.

    ``0x7f.1``, ``2130706433``, ``0177.0.0.1`` and fullwidth digits all become ``127.0.0.1``,
    because the resolver (``inet_aton``) would accept them too: the address we check must be
    the address we connect to. IDN names become punycode. Raises :class:`InvalidURL`.
    Cached: a feed's links, a page's candidates and every lookup of a site share hosts.
    """
    host = host.strip()
    if not host:
        raise InvalidURL("URL has no host")
    if ":" in host:  # IPv6 literal (urlsplit already removed the brackets)
        try:
            address = ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise InvalidURL(f"malformed IPv6 address {host!r}") from None
        return _ipv6_text(address)
    # NFKC folds fullwidth digits and ideographic full stops into ASCII before the IPv4 parse.
    folded = unicodedata.normalize("NFKC", host).replace("\u3002", ".").lower()
    if folded.endswith("."):
        folded = folded[:-1]
    ipv4 = _parse_ipv4(folded)
    if ipv4 is not None:
        return str(ipv4)
    ascii_host = ".".join(_ascii_label(label, host) for label in folded.split("."))
    labels = ascii_host.split(".")
    if not all(_HOST_LABEL_RE.match(label) for label in labels) or len(ascii_host) > 253:
        raise InvalidURL(f"malformed host name {host!r}")
    return ascii_host


def _ipv6_text(address: ipaddress.IPv6Address) -> str:
    """RFC 5952 text, as the WHATWG URL standard writes IPv6 hosts: lower-case hex groups, the
    first longest run of two or more zero groups as ``::``, never a dotted IPv4 tail. Not
    ``str(address)``: Python 3.13 writes ``::ffff:7f00:1`` as ``::ffff:127.0.0.1``, and cache
    keys must be the same bytes on every Python."""
    groups = [f"{int.from_bytes(address.packed[i : i + 2], 'big'):x}" for i in range(0, 16, 2)]
    best_start, best_length = -1, 1
    start = -1
    for index, group in enumerate([*groups, "end"]):
        if group == "0":
            start = index if start < 0 else start
            continue
        if start >= 0 and index - start > best_length:
            best_start, best_length = start, index - start
        start = -1
    if best_start < 0:
        return ":".join(groups)
    head = ":".join(groups[:best_start])
    tail = ":".join(groups[best_start + best_length :])
    return f"{head}::{tail}"


def _ascii_label(label: str, host: str) -> str:
    """A label as it goes on the wire: IDNs by UTS 46 non-transitional processing (IDNA 2008,
    as browsers do), so ``faß.de`` and ``fass.de`` stay two hosts (IDNA 2003 folded ß to ss)."""
    if label.isascii():
        return label
    import idna  # only for non-ASCII hosts: its tables are large

    try:
        return idna.encode(label, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise InvalidURL(f"malformed host name {host!r}") from None


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Parse a host the way the WHATWG URL standard and ``inet_aton`` do, or None if it is a name.

    Raises InvalidURL for hosts that end in a number but are not a valid address (1.2.3.999).
    """
    parts = host.split(".")
    if _parse_ipv4_part(parts[-1], strict=False) is None:
        return None
    if len(parts) > 4:
        raise InvalidURL(f"malformed IPv4 address {host!r}")
    numbers = [_parse_ipv4_part(part, strict=True) for part in parts]
    if any(number is None for number in numbers):
        raise InvalidURL(f"malformed IPv4 address {host!r}")
    values = [n for n in numbers if n is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise InvalidURL(f"malformed IPv4 address {host!r}")
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return ipaddress.IPv4Address(address)


def _parse_ipv4_part(part: str, *, strict: bool) -> int | None:
    if not part:
        return None
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        if part.isdigit():
            return int(part)
    except ValueError:
        if strict:
            return None
        # "0x7g" ends like a number to a browser: treat as a broken address, not a name.
        raise InvalidURL(f"malformed IPv4 address part {part!r}") from None
    return None


def _already_canonical(href: str, keep_fragment: bool) -> str | None:
    """``href`` in its canonical form when it is canonical but for its default port, an
    empty path or its fragment; None when only the full treatment can say (see tests: both
    give the same answer)."""
    match = _CANONICAL_RE.fullmatch(href)
    if match is None or len(href) > MAX_URL_LENGTH:
        return None
    scheme, host, port, path, query, fragment = match.groups()
    if len(host) > 253:
        return None
    if (
        port is None
        and path
        and query != "?"
        and (fragment is None or (keep_fragment and fragment != "#"))
    ):
        return href  # canonical as written, as most links are: nothing to rebuild
    if port is not None:
        if int(port) > 65535:
            return None
        if int(port) != DEFAULT_PORTS[scheme]:
            host = f"{host}:{port}"
    return f"{scheme}://{host}{_canonical_tail(path, query, fragment, keep_fragment)}"


def _canonical_tail(
    path: str | None, query: str | None, fragment: str | None, keep_fragment: bool
) -> str:
    """A canonical URL's path, query and fragment as matched by ``_CANONICAL_TAIL``."""
    # An empty query or fragment ("?", "#") is dropped, as urlunsplit drops it.
    query = query if query and query != "?" else ""
    fragment = fragment if keep_fragment and fragment and fragment != "#" else ""
    return f"{path or '/'}{query}{fragment}"


def safe_http_url(
    href: str | None, base: str | None = None, *, keep_fragment: bool = False
) -> str | None:
    """Resolve ``href`` against ``base`` and return it only if it is an absolute http(s) URL.

    Returns None for ``javascript:``, ``data:``, ``vbscript:``, ``mailto:`` and every other
    scheme (also when disguised with tabs, newlines or odd case), for userinfo, and for hosts
    that do not parse. ``feed:`` prefixes are unwrapped. Non-ASCII paths are percent-encoded.
    The fragment is dropped unless ``keep_fragment`` (post permalinks may need it).
    """
    if not href:
        return None
    canonical = _already_canonical(href, keep_fragment)
    if canonical is None and base and href[:1] == "/":
        canonical = _root_relative(href, base, keep_fragment)
    return canonical if canonical is not None else _resolved(href, base, keep_fragment)


def _root_relative(href: str, base: str, keep_fragment: bool) -> str | None:
    """``href`` ("/feed/", most of a page's links) resolved against a canonical ``base``
    when the result is canonical as written; None when only the full treatment can say (a
    dot segment, "//host", an odd character, a base that is not canonical)."""
    path = href.partition("?")[0].partition("#")[0]
    if href[:2] == "//" or "/." in path or ";" in path:
        return None  # another host; dot segments or (urljoin's) ";params" that joining alters
    origin = _canonical_origin(base)
    # The origin is canonical: only the rest needs reading.
    tail = _CANONICAL_TAIL_RE.fullmatch(href)
    if origin is None or tail is None or len(origin) + len(href) > MAX_URL_LENGTH:
        return None
    path, query, fragment = tail.groups()
    return origin + _canonical_tail(path, query, fragment, keep_fragment)


@functools.lru_cache(maxsize=256)
def _canonical_origin(base: str) -> str | None:
    """``scheme://host[:port]`` of ``base`` when ``base`` is canonical as written, else None.
    Cached: every relative link of a page is resolved against the same base."""
    if _already_canonical(base, True) != base:
        return None
    origin_end = base.find("/", base.index("://") + 3)
    return base if origin_end < 0 else base[:origin_end]


def _resolved(href: str, base: str | None, keep_fragment: bool) -> str | None:
    """:func:`safe_http_url` the long way: for what is not canonical as written."""
    text = _URL_WHITESPACE_RE.sub("", href).strip()
    if not text or UNPRINTABLE.search(text) or len(text) > MAX_URL_LENGTH:
        return None
    text = _strip_feed_prefix(text)
    try:
        # An absolute http(s) URL is what urljoin would return anyway: skip it (feeds' links).
        absolute = urljoin(base, text) if base and not _ABSOLUTE_HTTP_RE.match(text) else text
        parts = urlsplit(absolute.replace(" ", "%20"))
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.netloc:
        return None
    try:
        return _canonical_parts(parts, keep_fragment=keep_fragment)
    except InvalidURL:
        return None


def site_host(host: str | None) -> str:
    """The host without a leading "www." ("" for None)."""
    host = host or ""
    return host[4:] if host.startswith("www.") else host


def same_site(host: str | None, other: str | None) -> bool:
    """Same host ignoring "www.", or one a subdomain of the other (blog.example.com)."""
    a, b = site_host(host), site_host(other)
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))
