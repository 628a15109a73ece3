"""The Gradio page (minimal): ask a question, see the answer and its passages."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from qa.engine import QAEngine  # noqa: E402
from qa.render import render_terminal  # noqa: E402


def build_app(engine: QAEngine) -> gr.Blocks:
    with gr.Blocks(title="Article QA") as demo:
        question = gr.Textbox(label="Question", elem_id="question")
        answer = gr.Textbox(label="Answer", lines=20, elem_id="answer")
        question.submit(lambda q: render_terminal(engine.ask(q)), question, answer)
    return demo


if __name__ == "__main__":
    build_app(QAEngine.load()).launch(server_name="127.0.0.1", server_port=7860)
