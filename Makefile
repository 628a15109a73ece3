# Two commands for a newcomer:  make run  (install, build the index if stale, serve the page)
#                               make test (install with test extras, run every test)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --disable-pip-version-check -q $(if $(wildcard /opt/wheels),--find-links /opt/wheels)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test venv venv-test index check lint bench clean screenshot

run: venv  # make run PORT=7871 HOST=0.0.0.0 to serve elsewhere than 127.0.0.1:7860
	-$(BIN)/qa build --if-stale  # a bad document: said in one line, the last build serves
	$(BIN)/python app.py $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: venv-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PIP) -r requirements-test.lock
	touch $@

index: venv
	$(BIN)/qa build

check: venv
	$(BIN)/qa build --check

lint: venv-test
	$(BIN)/ruff check .

screenshot: venv-test  # refresh docs/screenshot.png from the browser test
	QA_UPDATE_SCREENSHOT=1 $(BIN)/pytest -q tests/browser -k ask_open_section

bench: venv  # all numbers of docs/performance.md (the 1,000,000-chunk run takes minutes)
	$(BIN)/qa bench --scale 10000,100000,1000000 --plot docs/scale.png

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
