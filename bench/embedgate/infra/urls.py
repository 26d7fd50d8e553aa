"""URLs that carry no secret into a message, and redirects that carry no secret to another host.

- `redact_url` hides the password of every ``scheme://user:password@host`` in a text: every
  message, log line and results field that shows an endpoint passes through it.
- `split_userinfo` takes ``user:password@`` out of a base URL, so the credentials travel as an
  ``Authorization: Basic`` header (which the redirect rule below guards) and never as part of a
  URL that a library might quote in an exception.
- `SameOriginRedirects` follows a redirect only within the origin (scheme, host, port) the
  suite named, and refuses any other with `CrossOriginRedirect`: a 30x must not hand the API key
  to another host, nor move embedding, rerank or load traffic somewhere the suite did not name.
"""
from __future__ import annotations

import re
import urllib.parse
import urllib.request
from email.message import Message
from typing import IO

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/\s:@]*):[^/\s@]*@")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def redact_url(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***.

    >>> redact_url("POST https://bob:s3cret@api.example.com/v1/embeddings: HTTP 500")
    'POST https://bob:***@api.example.com/v1/embeddings: HTTP 500'
    """
    return _USERINFO.sub(r"\g<scheme>\g<user>:***@", text)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in; host in lower case."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number: no origin matches it
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without ``user:password@`` and the (user, password) it held, if any.

    >>> split_userinfo("https://bob:pw@h.example/v1")
    ('https://h.example/v1', ('bob', 'pw'))
    """
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    creds = (urllib.parse.unquote(parts.username or ""),
             urllib.parse.unquote(parts.password or ""))
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), creds


class CrossOriginRedirect(Exception):
    """A server answered 30x towards another origin; `target` is already redacted."""

    def __init__(self, code: int, target: str) -> None:
        super().__init__(f"HTTP {code} redirect to {target}")
        self.code = code
        self.target = target


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects within the request's origin only; 307/308 keep the method and body."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        if origin(newurl) != origin(req.full_url):
            raise CrossOriginRedirect(code, redact_url(split_userinfo(newurl)[0]))
        if code in (307, 308) and req.get_method() == "POST":
            # urllib refuses to repeat a POST; RFC 9110 says 307/308 repeat it unchanged.
            return urllib.request.Request(newurl, data=req.data, method="POST",
                                          headers=dict(req.header_items()),
                                          origin_req_host=req.origin_req_host)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
