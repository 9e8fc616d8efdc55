PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-fast bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	rm -f examples.db
	$(BIN)/newsfold --db examples.db add examples/
	$(BIN)/newsfold --db examples.db stories

test: $(STAMP)
	[ ! -x scripts/browser-deps ] || ./scripts/browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15

# the tier without the tests marked slow, browser or ray (no Chromium, no Ray, no ECB+-wide folds);
# pytest's exit code 5 (no test selected) fails it like any other
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow and not browser and not ray" --durations=10

clean:
	rm -rf $(VENV) examples.db
