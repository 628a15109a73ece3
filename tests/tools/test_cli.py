"""The `qa` command's contract: JSON output, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers_server import ROOT

KEYS = {"text", "doc", "section", "anchor", "score", "start", "end", "answer_start", "answer_end"}


def qa(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]


def check_contract(out: dict, question: str) -> None:
    assert set(out) >= {"question", "abstained", "answer", "passages"}
    assert out["question"] == question
    assert isinstance(out["abstained"], bool)
    assert isinstance(out["answer"], str) and out["answer"]
    for p in out["passages"]:
        assert set(p) >= KEYS
        assert isinstance(p["score"], float) and p["end"] - p["start"] == len(p["text"])
        if p["answer_start"] is not None:
            assert p["text"][p["answer_start"] : p["answer_end"]] == out["answer"]


@pytest.fixture(scope="module")
def jets() -> dict:
    proc = qa("ask", "Will Russia give Iran fighter jets?", "--json", "-k", "3")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_ask_json_follows_the_contract(jets):
    check_contract(jets, "Will Russia give Iran fighter jets?")
    assert len(jets["passages"]) == 3
    assert jets["abstained"] is False
    assert "fighter jets" in jets["answer"]
    assert "advanced fighter jets or sophisticated air defenses" in jets["passages"][0]["text"]
    highlighted = [p for p in jets["passages"] if p["answer_start"] is not None]
    assert highlighted, "the answer sentence is located inside a passage"


def test_jsonl_answers_each_line_with_its_id(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a", "question": "Does Russia sell weapons to Iran?"})
        + "\n"
        + json.dumps(
            {"id": "b", "question": "What about China?", "history": ["Does Russia support Iran?"]}
        )
        + "\n"
        + json.dumps({"id": "c", "question": "   "})
        + "\n"
    )
    proc = qa("ask", "--jsonl", str(questions))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    check_contract({k: v for k, v in lines[0].items() if k != "id"}, lines[0]["question"])
    assert "error" in lines[2]


def test_jsonl_reports_an_undecodable_line_by_number_and_answers_the_rest(tmp_path):
    questions = tmp_path / "q.jsonl"
    good = json.dumps({"id": "a", "question": "Does Russia sell weapons to Iran?"}).encode()
    questions.write_bytes(
        good + b"\n" + b'{"id": "b", "question": "caf\xe9?"}\n' + b'{"id": "c", "question": "x\n'
    )
    proc = qa("ask", "--jsonl", str(questions))
    assert proc.returncode == 1, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["a"]
    errors = proc.stderr.splitlines()
    column = b'{"id": "b", "question": "caf\xe9?"}'.index(b"\xe9") + 1
    assert any(f"line 2: not UTF-8 text (byte 0xe9 at column {column})" in e for e in errors)
    assert any("line 3: not valid JSON: Unterminated string" in e for e in errors), errors
    assert not any("at at" in e for e in errors), errors


@pytest.mark.parametrize(
    "args",
    [(), ("ask",), ("build",), ("eval",), ("bench",), ("feedback",), ("export-onnx",)],
)
def test_every_documented_command_has_proofread_help(args):
    proc = qa(*args, "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("usage:") and "Traceback" not in proc.stderr
    assert "...." not in text and "at at " not in text and "shared/eval" not in text


def test_app_help_runs():
    proc = subprocess.run(
        [sys.executable, "app.py", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout.startswith("usage: app.py"), proc.stderr


def test_a_taken_port_is_said_in_one_line_without_a_serving_address():
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "app.py", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "already in use" in lines[0] and f"PORT={port + 1}" in lines[0]
    assert "http://" not in proc.stderr


def test_readable_output_without_json():
    proc = qa("ask", "Will Russia give Iran fighter jets?", "-k", "2")
    assert proc.returncode == 0, proc.stderr
    assert "fighter jets" in proc.stdout and "{" not in proc.stdout.splitlines()[0]


@pytest.mark.parametrize("question", ["", "   \t\n", "x" * 2001, "\u200b\u200b"])
def test_bad_question_exits_2_with_one_line(question):
    assert_one_line_error(qa("ask", question, "--json"), 2, "qa:")


def test_missing_index_names_file_and_fix(tmp_path):
    proc = qa("ask", "Will Russia help Iran?", env={"QA_INDEX": str(tmp_path / "none")})
    assert_one_line_error(proc, 1, "manifest.json", "qa build")


def test_corrupt_index_names_file_and_fix(tmp_path):
    index = tmp_path / "index"
    import shutil

    shutil.copytree(ROOT / "index", index)
    (index / "chunks.json").write_text("[]")
    proc = qa("ask", "Will Russia help Iran?", env={"QA_INDEX": str(index)})
    assert_one_line_error(proc, 1, "chunks.json", "qa build")


def test_a_broken_reader_file_is_named_in_one_line_and_off_still_answers(tmp_path):
    reader = tmp_path / "reader.json"
    reader.write_text('{"format": 1}')
    proc = qa("ask", "Will Russia help Iran?", env={"QA_READER": str(reader)})
    assert_one_line_error(proc, 1, "reader file is not usable")
    proc = qa("ask", "Will Russia help Iran?", "--json", env={"QA_READER": "off"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["confidence"] is None and out["unsure"] is False


def test_a_bad_document_leaves_the_last_build_answering_and_says_which_file(tmp_path):
    import shutil

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "will-russia-support-iran.txt", corpus)
    shutil.copytree(ROOT / "index", index)
    (corpus / "empty.txt").write_text("")
    env = {"QA_CORPUS": str(corpus), "QA_INDEX": str(index)}
    proc = qa("ask", "Will Russia give Iran fighter jets?", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "fighter jets" in json.loads(proc.stdout)["answer"]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "empty.txt" in lines[0] and "--skip-bad" in lines[0], lines
    assert qa("build", "--check", env=env).returncode == 1


def test_build_check_exit_codes(tmp_path):
    assert qa("build", "--check").returncode == 0
    proc = qa("build", "--check", "--index", str(tmp_path / "none"))
    assert proc.returncode == 1 and "qa build" in proc.stderr


def test_empty_corpus_file_fails_build_naming_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.md").write_text("")
    index = tmp_path / "index"
    proc = qa("build", "--corpus", str(corpus), "--index", str(index))
    assert_one_line_error(proc, 1, "empty.md")
    assert not index.exists()


def test_help_lists_the_commands():
    proc = qa("--help")
    assert proc.returncode == 0
    for command in ("build", "ask", "eval"):
        assert command in proc.stdout


def test_jsonl_answers_every_good_line_and_reports_each_bad_one_by_number(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a", "question": "Does Russia sell weapons to Iran?"})
        + "\n{not json\n\n"
        + json.dumps(["a", "list"])
        + "\n"
        + json.dumps({"id": "d", "question": "Will Russia give Iran fighter jets?"})
        + "\n"
    )
    proc = qa("ask", "--jsonl", str(questions))
    assert proc.returncode == 1, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["a", "d"]
    assert f"{questions} line 2: not valid JSON" in proc.stderr
    assert f"{questions} line 4: not a JSON object" in proc.stderr
    assert "line 1" not in proc.stderr and "line 5" not in proc.stderr
    assert "2 of 4 lines" in proc.stderr


def test_eval_names_the_bad_line(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "question": "Why?"}) + "\n\n[1]\n")
    assert_one_line_error(qa("eval", str(questions)), 2, "line 3", "not a JSON object")


def test_ask_without_a_question_prints_usage():
    proc = qa("ask")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("usage: qa ask")
    assert 'give a question, e.g. qa ask "' in proc.stderr


@pytest.mark.parametrize("command", [["ask", "Will Russia help Iran?"], ["build"]])
def test_a_corpus_that_does_not_exist_is_an_error(tmp_path, command):
    missing = tmp_path / "nonexistent"
    proc = qa(*command, "--corpus", str(missing), "--index", str(tmp_path / "index"))
    assert_one_line_error(proc, 2, f"--corpus {missing}: no such directory")
