"""Security headers for every response: the page's Content-Security-Policy and the rest.

The page's script policy allows only the app's own files and, by their SHA-256, the inline
scripts of the very page being sent (Gradio's config and boot scripts), so an inline event
handler (`onerror=`), a `javascript:` link or a script injected later does not run. Gradio's
template escapes `<` inside its config, so no text in the page can close a script and open
another. Styles may be inline (Gradio sets them at run time).
"""

from __future__ import annotations

import base64
import hashlib
import re

PAGE_POLICY = (
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval'{hashes}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)


def script_hashes(html: bytes) -> list[str]:
    """CSP sources (`'sha256-…'`) for each distinct inline script of `html`."""
    found = dict.fromkeys(m.group(1) for m in _INLINE_SCRIPT.finditer(html))
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in found]


def page_policy(html: bytes = b"") -> str:
    """The page's Content-Security-Policy, allowing the inline scripts of `html`."""
    hashes = "".join(f" {h}" for h in script_hashes(html))
    return "; ".join(PAGE_POLICY).format(hashes=hashes)


def with_security_headers(
    headers: list[tuple[bytes, bytes]], policy: str
) -> list[tuple[bytes, bytes]]:
    """`headers` with ours set (any copy the app set itself replaced)."""
    ours = (*COMMON, (b"content-security-policy", policy.encode()))
    names = {name for name, _ in ours}
    return [(n, v) for n, v in headers if n.lower() not in names] + list(ours)
