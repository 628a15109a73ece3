"""Hostile documents shown in Chromium: a Markdown file and a saved web page carrying
`<script>`, `onerror=`, `<svg onload>`, `<iframe srcdoc>` and `javascript:` links (Markdown,
autolink, reference and HTML), each setting `window.__pwned` if it ever ran, are indexed by the
real `qa build`; answers and passages quoting that markup, and the Article pane showing both
documents, leave the flag unset, no `javascript:` link and no element or script from a
document in the page, and the page answers the next question within a bound.

(Named apart from tests/ingest/test_hostile_documents.py: pytest imports test files by their
base name.)
"""

from __future__ import annotations

import time

import pytest
from helpers_hostile import PWN, payload_documents
from helpers_server import AppServer, post_json, run_qa, workspace
from test_page import Page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ANSWER_SECONDS = 20  # the next question after the payloads: measured ~1 s (docs/reliability.md)
# (question, the document whose passage must quote markup, markup the page must show as text)
QUOTING = [
    (
        "What markup does the Marrowfield payload sentence quote as text?",
        "payload.md",
        'onerror="window.__pwned=1"',
    ),
    (
        "What does the Marrowfield mill page show as text?",
        "payload.html",
        "<script>window.__pwned=1</script>",
    ),
    ("Where are the Marrowfield harvest notes and map?", "payload.md", "javascript:"),
]
# Anything a payload could have left in the DOM: the flag, a javascript: URL in any attribute,
# an attribute (an event handler, srcdoc) or a script carrying the payload.
INJECTED = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    pwned: typeof window.__pwned,
    javascriptUrls: all.filter(el => [...el.attributes].some(
      a => /^\\s*javascript:/i.test(a.value))).map(el => el.outerHTML.slice(0, 120)),
    payloadAttributes: all.filter(el => [...el.attributes].some(
      a => a.value.includes('__pwned'))).map(el => el.outerHTML.slice(0, 120)),
    payloadScripts: [...document.scripts].filter(
      s => s.textContent.includes('__pwned')).length,
    frames: document.querySelectorAll('#qa-chat iframe, #qa-article iframe, object, embed').length,
  };
}"""
CLEAN = {
    "pwned": "undefined",
    "javascriptUrls": [],
    "payloadAttributes": [],
    "payloadScripts": 0,
    "frames": 0,
}


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The app over the corpus plus the two payload documents, built by `qa build`."""
    ws = workspace(tmp_path_factory.mktemp("hostile-page-ws"), build=False)
    for name, data in payload_documents().items():
        (ws.corpus / name).write_bytes(data)
    proc = run_qa(["build"], ws.env(), timeout=600)
    assert proc.returncode == 0 and "3 documents" in proc.stdout, proc.stderr
    server = AppServer(ws.env()).start(tmp_path_factory.mktemp("hostile-page-log"))
    yield server
    server.stop()


def test_document_payloads_never_run_and_the_page_stays_responsive(page, hostile_app):
    app = Page(page, hostile_app.url)
    for question, doc, markup in QUOTING:
        status, expected = post_json(f"{hostile_app.url}/api/ask", {"question": question})
        assert status == 200 and not expected["abstained"], expected
        quoting = [p for p in expected["passages"][:3] if p["doc"] == doc and markup in p["text"]]
        assert quoting, (question, expected["passages"][:3])
        reply = app.ask(question)
        assert markup in reply.inner_text()  # shown, as text
        reply.locator("a.qa-section-link").first.click()  # opens it in the Article pane

    for tab in page.locator("#qa-article button.qa-doc-tab").all():
        tab.click()  # each document shown in the Article pane in turn
    article = page.locator("#qa-article").inner_text()
    assert f"<script>{PWN}</script>" in article and f'<svg onload="{PWN}"></svg>' in article
    assert f'<img src=x onerror="{PWN}">' in article
    page.wait_for_timeout(500)  # let a fired onerror/onload run before looking

    assert page.evaluate(INJECTED) == CLEAN
    assert app.dialogs == []

    began = time.monotonic()
    reply = app.ask("Will Russia give Iran fighter jets?")
    seconds = time.monotonic() - began
    print(f"next question answered in {seconds:.2f} s")
    assert "fighter jets" in reply.locator(".qa-answer").inner_text()
    assert seconds <= ANSWER_SECONDS
    assert page.evaluate(INJECTED) == CLEAN
