"""Web: the served app (JSON route, Gradio page, serving object, feedback)."""
