"""The serving object: background load, bounded waits, busy limit, hot swap of a new index."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers_server import ROOT

from qa.answer.question import QuestionError
from qa.config import Settings
from qa.web.service import BUSY, LOADING, QAService, ServiceLimits, ServiceUnavailable

pytestmark = pytest.mark.slow
QUESTION = "Will Russia give Iran fighter jets?"


class Gate:
    """A real engine whose `ask` waits at a gate, to hold a request in the middle."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.index = engine.index
        self.entered = threading.Event()
        self.release = threading.Event()

    def ask(self, *args, **kwargs):
        self.entered.set()
        assert self.release.wait(30)
        return self.engine.ask(*args, **kwargs)


@pytest.fixture
def index_copy(engine, tmp_path) -> Path:
    """A copy of the index the `engine` fixture loaded, to replace and corrupt freely."""
    target = tmp_path / "index"
    shutil.copytree(Settings.from_env().index_dir, target)
    return target


def settings_for(index_dir: Path) -> Settings:
    base = Settings.from_env()
    return Settings(base.corpus_dir, index_dir, base.data_dir, base.model, base.chunk)


def replace_index(index_dir: Path, mutate) -> None:
    """Put a modified copy of `index_dir` in its place the way `qa build` does (one rename)."""
    fresh = index_dir.with_name(index_dir.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(index_dir, fresh)
    mutate(fresh)
    old = index_dir.with_name(index_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(index_dir, old)
    os.rename(fresh, index_dir)
    shutil.rmtree(old)


def touch_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["built_at"] = manifest.get("built_at", "") + "+rebuilt"
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_questions_wait_for_the_background_load_then_get_answers(engine):
    loaded = threading.Event()

    def slow_loader():
        assert loaded.wait(30)
        return engine

    service = QAService(loader=slow_loader, limits=ServiceLimits(load_wait=0.2)).start()
    assert service.status()["state"] == "loading"
    with pytest.raises(ServiceUnavailable, match="still loading"):
        service.ask(QUESTION)
    with pytest.raises(QuestionError):
        service.ask("   ")  # a bad question is refused at once, even while loading
    loaded.set()
    result = service.ask(QUESTION, wait=30)
    assert result.to_json() == engine.ask(QUESTION).to_json()
    assert service.status()["state"] == "ready"


def test_a_failed_load_is_reported_not_raised_as_a_traceback(tmp_path):
    service = QAService(settings_for(tmp_path / "missing")).start()
    assert service.wait_ready(60)
    with pytest.raises(ServiceUnavailable, match="could not be loaded.*qa build"):
        service.ask(QUESTION)
    assert service.status()["state"] == "failed"


def test_a_new_index_is_swapped_in_without_restart(index_copy):
    service = QAService(settings_for(index_copy), limits=ServiceLimits(check_interval=0)).start()
    assert service.wait_ready(120)
    first = service.engine()
    assert not service.check_for_new_index(force=True)  # unchanged manifest: nothing to do
    replace_index(index_copy, touch_manifest)
    assert service.reload()
    second = service.engine()
    assert second is not first and service.reloads == 1
    assert second.index.manifest["built_at"].endswith("+rebuilt")
    assert service.ask(QUESTION).answer == first.ask(QUESTION).answer


def test_a_corrupt_new_index_is_logged_and_the_old_one_kept(index_copy, caplog):
    service = QAService(settings_for(index_copy)).start()
    assert service.wait_ready(120)
    serving = service.engine()

    def corrupt(folder: Path) -> None:
        touch_manifest(folder)
        (folder / "chunks.json").write_text("[]")

    replace_index(index_copy, corrupt)
    with caplog.at_level(logging.WARNING, logger="qa.service"):
        assert not service.reload()
    assert "still serving the previous one" in caplog.text and "corrupt" in caplog.text
    assert service.engine() is serving
    assert not service.ask(QUESTION).abstained
    assert not service.check_for_new_index(force=True)  # the same broken build is not retried


def test_the_manifest_is_checked_at_most_once_per_interval(index_copy):
    service = QAService(settings_for(index_copy), limits=ServiceLimits(check_interval=3600))
    service.start().wait_ready(120)
    replace_index(index_copy, touch_manifest)
    service.engine()
    assert not service.check_for_new_index()  # within the interval: no stat, no reload
    assert service.check_for_new_index(force=True)


def test_a_request_uses_one_engine_from_start_to_end(engine):
    old, new = Gate(engine), Gate(engine)
    engines = iter([old, new])
    service = QAService(loader=lambda: next(engines)).start()
    assert service.wait_ready(30)
    answers = []
    worker = threading.Thread(target=lambda: answers.append(service.ask(QUESTION)))
    worker.start()
    assert old.entered.wait(30)
    assert service.reload()  # swapped while the request is inside the old engine
    new.release.set()
    assert service.engine() is new
    old.release.set()
    worker.join(30)
    assert answers and not new.entered.is_set()
    service.ask(QUESTION)
    assert new.entered.is_set()


def test_an_overloaded_service_says_busy(engine):
    gate = Gate(engine)
    limits = ServiceLimits(concurrency=1, busy_wait=0.2)
    service = QAService(loader=lambda: gate, limits=limits).start()
    assert service.wait_ready(30)
    worker = threading.Thread(target=service.ask, args=(QUESTION,))
    worker.start()
    assert gate.entered.wait(30)
    with pytest.raises(ServiceUnavailable) as exc:
        service.ask(QUESTION)
    assert str(exc.value) == BUSY and exc.value.retry_after > 0
    gate.release.set()
    worker.join(30)
    assert not service.ask(QUESTION).abstained


def test_service_and_json_route_import_neither_torch_nor_gradio():
    code = (
        "import sys, qa.web.service, qa.web.json_api; "
        "print(sorted(m for m in ('torch', 'gradio', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert LOADING.endswith("try again in a few seconds.")
