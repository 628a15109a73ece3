"""Hostile documents, made at test time (nothing big is committed): pages carrying script
payloads that set `window.__pwned` if they ever run, and files built to exhaust a build (a
20 MB line, 100,000 nested <div>, a DOCX zip bomb, billion laughs, a PDF of thousands of pages).

`payload_documents()` are documents a build should index (their payloads shown as inert text);
the other makers write files a build should refuse by name, each naming its limit.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

MB = 1 << 20
_LOCAL = struct.Struct("<4s5H3L2H")  # a zip's local file header
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # its central directory entry
PWN = "window.__pwned=1"
# Markup that sets the flag if a browser ever treats it as markup rather than text
PAYLOADS = (
    f'<img src=x onerror="{PWN}">',
    f"<script>{PWN}</script>",
    f'<svg onload="{PWN}"></svg>',
    f'<a href="javascript:{PWN}">click</a>',
    f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
)
WORD = "Marrowfield"  # the made-up place the payload documents are about: a question finds them

PAYLOAD_MD = f"""# The {WORD} orchard payload notes

## Apples of {WORD}

The {WORD} orchard grows russet apples beside the river. {PAYLOADS[0]} {PAYLOADS[1]}
The {WORD} growers press cider every October. {PAYLOADS[2]}
Read the [{WORD} harvest notes](javascript:{PWN}) and ![a picture](javascript:{PWN}).
An autolink <javascript:{PWN}> and a reference link [{WORD} map][m].

[m]: javascript:{PWN}

## The {WORD} payload written as text

The {WORD} payload sentence quotes the markup \\<img src=x onerror="{PWN}"\\> as text, and
\\<script\\>{PWN}\\</script\\> too, so a reader sees what the page carried.

| {WORD} markup | what it does |
|---|---|
| {PAYLOADS[0]} | an image whose error handler runs a script |
| {PAYLOADS[3]} | a javascript link |

```html
<script>{PWN}</script>
<svg onload="{PWN}"></svg>
```
"""

PAYLOAD_HTML = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>The {WORD} mill payload page</title>
<script>{PWN}</script><meta http-equiv="refresh" content="0;url=javascript:{PWN}">
<style>body {{ background: url("javascript:{PWN}") }}</style></head>
<body onload="{PWN}"><nav><a href="javascript:{PWN}">Home</a></nav><article>
<h1>The {WORD} mill payload page</h1>
<p>The {WORD} mill grinds rye flour for the valley. {PAYLOADS[0]} {PAYLOADS[2]}
The {WORD} mill wheel turns on the old stream.
<a href="javascript:{PWN}">More about the mill</a>.</p>
<h2>The {WORD} mill payload as text</h2>
<p>The {WORD} mill page shows its markup as text: &lt;img src=x onerror="{PWN}"&gt; and
&lt;script&gt;{PWN}&lt;/script&gt; and &lt;svg onload="{PWN}"&gt;.</p>
{PAYLOADS[4]}<object data="javascript:{PWN}"></object>
</article></body></html>
""".encode()


def payload_documents() -> dict[str, bytes]:
    """{file name: bytes} of the documents with script payloads (both should be indexed)."""
    return {"payload.md": PAYLOAD_MD.encode(), "payload.html": PAYLOAD_HTML}


def one_line(path: Path, megabytes: int = 20) -> None:
    """`megabytes` of prose on a single line, no newline anywhere."""
    sentence = b"The orchard grows apples beside the river and sells them in town. "
    with open(path, "wb") as f:
        for _ in range(megabytes * MB // len(sentence)):
            f.write(sentence)


def nested_html(path: Path, depth: int = 100_000) -> None:
    """A page whose text sits inside `depth` nested <div>."""
    path.write_bytes(
        b"<html><head><title>Deep</title></head><body>"
        + b"<div>" * depth
        + b"<p>The deep page hides one sentence at the bottom of its nesting.</p>"
        + b"</div>" * depth
        + b"</body></html>"
    )


def _docx_parts(document_xml: bytes) -> dict[str, bytes]:
    """The parts of a minimal Word file (python-docx's own template), `document_xml` its body."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts["word/document.xml"] = document_xml
    return parts


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive of (name, raw deflate stream, CRC-32, inflated size) members, written
    field by field: zipfile itself would take ~15 s to deflate each GB a bomb inflates to."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, raw, crc, size in members:
        offset, encoded = local.tell(), name.encode()
        fields = (8, 0, 0x21, crc, len(raw), size, len(encoded))  # deflate, 1980-01-01, sizes
        local.write(_LOCAL.pack(b"PK\x03\x04", 20, 0, *fields, 0) + encoded + raw)
        central.write(_CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0, 0, offset))
        central.write(encoded)
    count, cd = len(members), central.getvalue()
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(cd), local.tell(), 0)
    return local.getvalue() + cd + end


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def docx_bomb(megabytes: int = 2048, declared: int | None = None) -> bytes:
    """A valid Word file (~1 kB per MB) whose document.xml inflates to `megabytes` MB of blanks
    inside its body. `declared`: the inflated size its headers claim instead (a lying bomb)."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>Bomb</w:t></w:r></w:p>"
    )
    tail = b"</w:body></w:document>"
    unit, times = b" " * MB, megabytes
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no back-references
    end = zlib.compressobj(9, zlib.DEFLATED, -15)  # a fresh stream: no back-references
    raw = first + block * times + end.compress(tail) + end.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + times * MB + len(tail)
    members = [(n, *_deflated(d)) for n, d in _docx_parts(b"").items() if n != "word/document.xml"]
    members.append(("word/document.xml", raw, crc, declared or size))
    return _zip(members)


def billion_laughs_docx() -> bytes:
    """A Word file whose document.xml defines entities that expand to ~3 GB if resolved."""
    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    xml = (
        '<?xml version="1.0"?><!DOCTYPE w:document [' + "".join(lol) + "]>"
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Laughs &lol9;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    members = [(n, *_deflated(d)) for n, d in _docx_parts(xml).items()]
    return _zip(members)


def many_pages_pdf(pages: int = 5000) -> bytes:
    """A PDF of `pages` pages, one short line of text each (reportlab)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=1)
    for i in range(pages):
        pdf.drawString(72, 720, f"Page {i + 1} of the long report says the river is wide.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
