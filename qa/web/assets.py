"""The page's theme, CSS and the small script behind the section links; all local, no fetches."""

from __future__ import annotations

JS = """
() => {
  const box = () => document.querySelector("#qa-article .qa-article-scroll");
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p).overflowY;
      if ((style === "auto" || style === "scroll") && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const showSection = (id) => {
    const root = box();
    if (!root) return;
    const target = [...root.querySelectorAll("section.qa-section")].find((s) => s.id === id);
    if (!target) return;
    root.querySelectorAll(".qa-target").forEach((s) => s.classList.remove("qa-target"));
    target.classList.add("qa-target");
    root.scrollTop = target.offsetTop - 8;
    root.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.qa-section-link");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    showSection(decodeURIComponent((link.getAttribute("href") || "").slice(1)));
  }, true);
  let answers = 0;
  new MutationObserver(() => {
    const chat = document.querySelector("#qa-chat");
    if (!chat) return;
    const bots = chat.querySelectorAll("[data-testid='bot']").length;
    if (bots > answers) {
      const users = chat.querySelectorAll("[data-testid='user']");
      const last = users[users.length - 1];
      const pane = last && scroller(last);
      if (pane) {
        const top = last.getBoundingClientRect().top - pane.getBoundingClientRect().top;
        pane.scrollTop += top - 8;
      }
    }
    answers = bots;
  }).observe(document.body, { childList: true, subtree: true });
}
"""

CSS = """
#qa-chat .qa-reply p.qa-answer { margin: 0 0 .5em 0; font-size: 1.05em; line-height: 1.5; }
#qa-chat .qa-abstained p.qa-answer { color: var(--body-text-color-subdued); font-style: italic; }
#qa-chat .qa-abstained { opacity: .9; }
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
#qa-article section.qa-section { padding: .2em .6em; border-radius: 6px; }
#qa-article section.qa-section h2 { font-size: 1.1em; margin: .9em 0 .3em; }
#qa-article section.qa-section h3 { font-size: 1em; margin: .8em 0 .3em; }
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
