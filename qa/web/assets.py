"""The page's theme, CSS and the small script behind the section links; all local, no fetches."""

from __future__ import annotations

from qa.config import MAX_QUESTION_CHARS

_JS = r"""
() => {
  const LIMIT = __LIMIT__;
  const box = () => document.querySelector("#qa-article .qa-article-scroll");
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p).overflowY;
      if ((style === "auto" || style === "scroll") && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const inView = (el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  };

  // Ask is greyed out while a question is on its way and while the box is empty; a counter
  // appears as the question nears the length limit (the server keeps the text if it is over).
  let busy = false;
  const sync = () => {
    const area = document.querySelector("#qa-question textarea");
    const ask = document.querySelector("#qa-ask");
    if (!area || !ask) return;
    const text = area.value.trim().split(/\s+/).join(" ");
    const off = busy || !text;
    if (ask.disabled !== off) ask.disabled = off;
    if (ask.getAttribute("aria-disabled") !== String(off)) {
      ask.setAttribute("aria-disabled", String(off));
    }
    const counter = document.querySelector("#qa-counter");
    if (!counter) return;
    const near = text.length >= LIMIT * 0.8;
    const words = near
      ? `${text.length.toLocaleString("en")} / ${LIMIT.toLocaleString("en")} characters` +
        (text.length > LIMIT ? ": too long, please shorten the question" : "")
      : "";
    // Only write what changed: the page's MutationObserver calls sync() too.
    if (counter.hidden === near) counter.hidden = !near;
    if (counter.classList.contains("qa-over") !== text.length > LIMIT) {
      counter.classList.toggle("qa-over", text.length > LIMIT);
    }
    if (counter.textContent !== words) counter.textContent = words;
    if (!area.hasAttribute("aria-describedby")) area.setAttribute("aria-describedby", "qa-counter");
  };
  window.qaSync = sync;
  window.qaBusy = (on) => { busy = on; if (on) hideBack(); sync(); };
  // Enter in an empty box, or while a question is on its way, sends nothing.
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    const area = e.target.closest && e.target.closest("#qa-question textarea");
    if (area && (busy || !area.value.trim())) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("input", (e) => {
    if (e.target.closest && e.target.closest("#qa-question")) sync();
  }, true);

  // A section link opens the section in the article; "Back to the answer" returns to the
  // passage it came from when that is out of sight (on a phone the article is far below).
  let origin = null;
  const back = document.createElement("button");
  back.id = "qa-back";
  back.type = "button";
  back.textContent = "\u2191 Back to the answer";
  back.hidden = true;
  document.body.appendChild(back);
  const hideBack = () => { back.hidden = true; };
  back.addEventListener("click", () => {
    const link = origin && origin.isConnected ? origin : null;
    hideBack();
    if (!link) return;
    const reply = link.closest(".qa-reply") || link;
    reply.scrollIntoView({ block: "start" });
    link.scrollIntoView({ block: "nearest" });
    link.focus({ preventScroll: true });
  });
  const showSection = (id) => {
    const root = box();
    if (!root) return;
    const target = [...root.querySelectorAll("section.qa-section")].find((s) => s.id === id);
    if (!target) return;
    root.querySelectorAll(".qa-target").forEach((s) => s.classList.remove("qa-target"));
    target.classList.add("qa-target");
    target.setAttribute("tabindex", "-1");
    markDocument(root, target.closest("article.qa-doc"));
    root.scrollTop = target.offsetTop - 8;
    root.scrollIntoView({ block: "nearest" });
    target.focus({ preventScroll: true });
  };
  // Several documents: a picker of their titles above the article view switches between them
  // (the one shown is marked current), and a section link switches to its document.
  const markDocument = (root, doc) => {
    if (!doc || !doc.id) return;
    document.querySelectorAll("#qa-article .qa-doc-tab").forEach((tab) => {
      if (tab.dataset.target === doc.id) tab.setAttribute("aria-current", "true");
      else tab.removeAttribute("aria-current");
    });
  };
  const showDocument = (id) => {
    const root = box();
    const doc = root && [...root.querySelectorAll("article.qa-doc")].find((d) => d.id === id);
    if (!doc) return;
    markDocument(root, doc);
    root.scrollTop = doc.offsetTop - 8;
    root.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("click", (event) => {
    const tab = event.target.closest && event.target.closest("button.qa-doc-tab");
    if (!tab) return;
    event.preventDefault();
    showDocument(tab.dataset.target);
  }, true);
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.qa-section-link");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    showSection(decodeURIComponent((link.getAttribute("href") || "").slice(1)));
    origin = link;
    back.hidden = inView(link);
  }, true);
  window.addEventListener("scroll", () => {
    if (!back.hidden && origin && inView(origin)) hideBack();
  }, { passive: true });

  // After each answer, scroll the chat so the question and the start of its answer show;
  // give the chat's own trash button a name distinct from the "Clear all" button.
  let answers = 0;
  new MutationObserver(() => {
    const chat = document.querySelector("#qa-chat");
    if (!chat) return;
    const trash = chat.querySelector(".top-panel button[aria-label='Clear']");
    if (trash) {
      trash.setAttribute("aria-label", "Clear conversation");
      trash.setAttribute("title", "Clear conversation");
    }
    const bots = chat.querySelectorAll("[data-testid='bot']").length;
    if (bots > answers) {
      const users = chat.querySelectorAll("[data-testid='user']");
      const last = users[users.length - 1];
      const pane = last && scroller(last);
      if (pane) {
        const top = last.getBoundingClientRect().top - pane.getBoundingClientRect().top;
        pane.scrollTop += top - 8;
      } else if (last && window.matchMedia("(max-width: 640px)").matches) {
        last.scrollIntoView({ block: "start" });  // a phone: the page itself scrolls
      }
    }
    answers = bots;
    sync();
  }).observe(document.body, { childList: true, subtree: true });
  sync();
}
"""
JS = _JS.replace("__LIMIT__", str(MAX_QUESTION_CHARS))

CSS = """
#qa-chat .qa-reply p.qa-answer { margin: 0 0 .5em 0; font-size: 1.05em; line-height: 1.5; }
/* a refusal reads as clearly as an answer: full colour, marked by a bar, not greyed out */
#qa-chat .qa-abstained p.qa-answer {
  font-weight: 600; border-left: 3px solid var(--body-text-color-subdued); padding-left: .6em;
}
table.qa-table { border-collapse: collapse; margin: .4em 0; font-size: .95em; display: block;
  max-width: 100%; overflow-x: auto; }
table.qa-table th, table.qa-table td { border: 1px solid var(--border-color-primary);
  padding: .2em .55em; text-align: left; vertical-align: top; }
table.qa-table th { background: var(--background-fill-secondary); }
table.qa-table.qa-highlight td, table.qa-table.qa-highlight th {
  background: rgba(255, 213, 79, .45); }
#qa-chat p.qa-link { margin: 0 0 .4em 0; font-size: .85em; }
#qa-chat p.qa-unsure { margin: 0 0 .5em 0; padding: .2em .6em; border-left: 3px solid #d97706;
  font-size: .92em; }
#qa-chat p.qa-closest { margin: 0 0 .5em 0; padding: .2em .6em; font-size: .92em;
  border-left: 3px solid var(--border-color-primary); color: var(--body-text-color-subdued); }
#qa-chat .qa-closest-label { font-weight: 600; margin-right: .3em; }
#qa-chat .qa-empty { color: var(--body-text-color-subdued); font-style: italic; }
#qa-chat .qa-notice { color: var(--body-text-color-subdued); font-style: italic; }
#qa-chat details.qa-sources > summary {
  cursor: pointer; font-size: .85em; color: var(--body-text-color-subdued); margin: .25em 0;
}
#qa-chat .qa-passage {
  border-left: 3px solid var(--border-color-primary); padding: .35em .7em; margin: .5em 0;
  background: var(--background-fill-secondary); border-radius: 0 6px 6px 0;
}
#qa-chat .qa-passage-head {
  display: flex; align-items: center; gap: .6em; font-size: .85em; margin-bottom: .25em;
}
#qa-chat .qa-rank {
  display: inline-block; min-width: 1.4em; text-align: center; border-radius: 999px;
  background: var(--border-color-primary); font-size: .85em;
}
#qa-chat a.qa-section-link { font-weight: 700; flex: 1; text-decoration: none; }
#qa-chat a.qa-section-link:hover { text-decoration: underline; }
#qa-chat .qa-relevance {
  display: inline-flex; align-items: center; gap: .35em; white-space: nowrap;
  color: var(--body-text-color-subdued); font-variant-numeric: tabular-nums;
}
#qa-chat .qa-bar {
  display: inline-block; width: 56px; height: 6px; border-radius: 3px; overflow: hidden;
  background: var(--border-color-primary);
}
#qa-chat .qa-fill { display: block; height: 100%; background: var(--color-accent); }
#qa-chat .qa-abstained .qa-fill { background: var(--body-text-color-subdued); }
#qa-chat .qa-passage-text { font-size: .9em; line-height: 1.5; }
#qa-chat mark.qa-highlight {
  background: rgba(255, 213, 79, .55); color: inherit; padding: 0 .1em; border-radius: 2px;
}
#qa-article .qa-article-scroll {
  position: relative; max-height: 720px; overflow-y: auto; padding: 0 1em 1em 0;
  line-height: 1.6; scroll-behavior: auto;
}
#qa-article h1.qa-doc-title { font-size: 1.35em; margin: .2em 0 .6em; }
#qa-article pre.qa-code {
  font-family: var(--font-mono); font-size: .85em; line-height: 1.4; white-space: pre;
  overflow-x: auto; padding: .6em .8em; border-radius: 6px;
  background: var(--background-fill-secondary);
}
#qa-article .qa-doc-picker {
  display: flex; flex-wrap: wrap; gap: .3em; padding: .2em 0 .5em;
  border-bottom: 1px solid var(--border-color-primary); margin-bottom: .4em;
}
#qa-article button.qa-doc-tab {
  font-size: .85em; padding: .2em .6em; border-radius: 999px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
}
#qa-article button.qa-doc-tab[aria-current="true"] {
  border-color: var(--color-accent); font-weight: 700;
}
#qa-article button.qa-doc-tab:focus-visible {
  outline: 3px solid var(--color-accent); outline-offset: 2px;
}
#qa-chat .qa-passage-doc {
  font-size: .8em; color: var(--body-text-color-subdued); margin-bottom: .1em;
}
#qa-article section.qa-section { padding: .2em .6em; border-radius: 6px; }
#qa-article section.qa-section h2 { font-size: 1.1em; margin: .9em 0 .3em; }
#qa-article section.qa-section h3 { font-size: 1em; margin: .8em 0 .3em; }
#qa-chat { height: clamp(240px, calc(100vh - 370px), 600px) !important; }
#qa-chat .qa-answer.qa-quote::before { content: "\\201C"; }
#qa-chat .qa-answer.qa-quote::after { content: "\\201D"; }
#qa-chat .qa-answer .qa-lead { color: var(--body-text-color-subdued); font-style: italic; }
#qa-chat .bubble-wrap { padding-right: 40px; }
#qa-chat .scroll-down-button-container { left: auto; right: 4px; transform: none; }
#qa-question textarea:focus, #qa-question textarea:focus-visible {
  outline: none; box-shadow: inset 0 0 0 3px var(--color-accent) !important;
}
#qa-ask:focus-visible, #qa-clear:focus-visible, #qa-examples button:focus-visible,
#qa-chat a.qa-section-link:focus-visible, #qa-back:focus-visible {
  outline: 3px solid var(--color-accent); outline-offset: 2px;
}
#qa-hint, #qa-status { min-height: 0; }
#qa-hint:has(#qa-counter[hidden]), #qa-status:not(:has(.qa-status-message)) { display: none; }
.qa-counter { font-size: .85em; color: var(--body-text-color-subdued); margin: .1em .2em; }
.qa-counter.qa-over { color: var(--error-text-color, #b91c1c); font-weight: 700; }
.qa-status-message {
  margin: .2em .2em; padding: .4em .7em; border-radius: 6px;
  border: 1px solid var(--error-border-color, #fca5a5);
  background: var(--error-background-fill, #fef2f2); color: var(--error-text-color, #b91c1c);
}
#qa-back {
  position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); z-index: 1000;
  padding: .55em 1.1em; border-radius: 999px; border: 0; cursor: pointer;
  background: var(--button-primary-background-fill, #f97316); color: #fff;
  box-shadow: 0 2px 8px rgba(0, 0, 0, .25); font: inherit; font-weight: 700;
}
#qa-back[hidden] { display: none; }
@media (max-width: 640px) {
  /* the conversation grows with the page: no box to scroll inside on a phone */
  #qa-chat { height: auto !important; min-height: 110px; max-height: none !important;
    overflow: visible !important; }
  #qa-chat .bubble-wrap { padding-right: 28px; height: auto !important;
    max-height: none !important; overflow: visible !important; }
  /* a passage's section title takes the width; its relevance goes under it */
  #qa-chat .qa-passage-head { flex-wrap: wrap; row-gap: .15em; }
  #qa-chat .qa-relevance { flex-basis: 100%; }
  /* the question box gets the whole width (its placeholder fits), Ask and Clear share a row */
  #qa-input-row { flex-wrap: wrap; }
  #qa-input-row > #qa-question { flex: 1 1 100% !important; min-width: 100% !important; }
  #qa-input-row > button { flex: 1 1 40% !important; }
}
#qa-article section.qa-target {
  background: var(--background-fill-secondary); outline: 2px solid var(--color-accent);
}
""" + "".join(f"#qa-chat .qa-w{i} {{ width: {i * 10}%; }}\n" for i in range(11))


def theme():
    """Gradio's default theme with bundled fonts in complete weights (see shared notes)."""
    import gradio as gr

    return gr.themes.Default(
        font=[
            gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
            "ui-sans-serif",
            "system-ui",
            "sans-serif",
        ],
        font_mono=[
            gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)),
            "ui-monospace",
            "monospace",
        ],
    )
