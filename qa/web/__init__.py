"""Web: the served app, a thin shell over `QAEngine.ask`.

Owns the server (`server`: uvicorn, options), the JSON route (`json_api`), the Gradio page
(`page`) with its HTML (`render_html`) and theme, CSS and script (`assets`), the serving
object that loads and swaps engines (`service`) and the votes store (`feedback`).

May import: `qa.config`, `qa.ingest`, `qa.index`, `qa.answer`. Never the tools.
"""
