"""The README's commands and settings work as written: app.py takes the documented options,
`make run PORT=... HOST=...` reaches it, and a test run without chromium says so loudly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from helpers_server import APP, OFFLINE, ROOT

from qa.web.server import parse_options


def test_app_takes_the_settings_the_readme_documents(monkeypatch):
    for key in ("QA_MODEL", "QA_BACKEND", "QA_RERANKER", "QA_STORE"):
        monkeypatch.delenv(key, raising=False)
    default = parse_options([])
    assert (default.model, default.backend, default.reranker, default.store) == (None,) * 4
    assert parse_options(["--store", "http://milvus:19530"]).store == "http://milvus:19530"
    chosen = parse_options(["--model", "/models/m", "--backend", "torch", "--reranker", "ce"])
    assert (chosen.model, chosen.backend, chosen.reranker) == ("/models/m", "torch", "ce")
    monkeypatch.setenv("QA_BACKEND", "onnx")
    monkeypatch.setenv("QA_RERANKER", "/models/ce")
    assert (parse_options([]).backend, parse_options([]).reranker) == ("onnx", "/models/ce")


def test_app_help_and_a_bad_backend():
    env = {**OFFLINE, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, str(APP), "--help"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert out.returncode == 0
    for option in ("--host", "--port", "--model", "--backend", "--reranker", "--store"):
        assert option in out.stdout
    bad = subprocess.run(
        [sys.executable, str(APP), "--backend", "cuda"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_run_passes_port_and_host_to_the_app():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}

    def dry_run(*args: str) -> list[str]:
        out = subprocess.run(
            ["make", "-n", "--no-print-directory", "-W", "requirements.lock", "run", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        return [line.strip() for line in out.stdout.splitlines() if "app.py" in line]

    assert dry_run("PORT=7871", "HOST=0.0.0.0") == [
        ".venv/bin/python app.py --host 0.0.0.0 --port 7871"
    ]
    assert dry_run() == [".venv/bin/python app.py"]  # 127.0.0.1:7860 by default


def test_a_run_without_chromium_ends_with_a_loud_line(tmp_path):
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_fake_browser.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_page():
                pytest.skip("chromium not found (apt-get install chromium, or set QA_CHROMIUM)")

            def test_other():
                pass
            """
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    last = out.stdout.strip().splitlines()
    assert out.returncode == 0, out.stdout
    loud = [line for line in last[-3:] if "BROWSER TESTS SKIPPED" in line]
    assert loud and "NOT tested" in loud[0], out.stdout
