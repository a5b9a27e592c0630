# One target per intent. CI (.ci/run) calls the same targets.
SHELL := /bin/bash
# Any Python 3.11 or newer builds .venv: the first of $(PY) that is one (`make PY=python3.12`, or
# a path, picks another). Expanded only by the recipes that need it, so `make help` runs anywhere.
PY ?= python3 python3.14 python3.13 python3.12 python3.11
py-version = $$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHON = $(shell for py in $(PY); do v=$(py-version) || continue; \
  [ "$${v%%.*}" = 3 ] && [ "$${v#*.}" -ge 11 ] 2>/dev/null && { echo "$$py"; break; }; done)
PY_FOUND = $(shell for py in $(PY); do v=$(py-version) && v="is $$v" || v="not found"; \
  out="$$out$${out:+, }$$py $$v"; done; echo "$$out")
need-python = $(or $(PYTHON),$(error Python 3.11 or newer is needed to build $(VENV), and none \
  was found ($(PY_FOUND)). Install one, or name it: make PY=/path/to/python3.x))
VENV := .venv
BIN := $(VENV)/bin
# The locks (`make lock`): what ships in the Lambda asset, and the dev/test/infra venvs.
LAMBDA_LOCK := requirements.txt
DEV_LOCK := requirements-dev.txt
LOCKS := $(LAMBDA_LOCK) $(DEV_LOCK)
# The python3.13 Lambda runtime on arm64 runs Amazon Linux 2023, whose glibc is 2.34.
LAMBDA_TARGET := --python-version 3.13 --python-platform aarch64-manylinux_2_34
# One universal dev lock serves every venv from 3.11 up; what ships is pinned as in Lambda's.
DEV_TARGET := --extra dev --extra infra --group install --universal --python-version 3.11 \
  --constraints $(LAMBDA_LOCK)
# `make lock UPGRADE=anthropic` (or "anthropic boto3") moves those to their newest allowed
# versions, `UPGRADE=all` moves every package; without it the current pins are kept.
UPGRADE ?=
upgrade-flags = $(if $(filter all,$(UPGRADE)),--upgrade,$(UPGRADE:%=--upgrade-package %))
# The venvs install the dev lock only, hash-checked; the editable project needs no index either.
install-locked = $(1)/pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK) && \
  $(1)/pip install --quiet --no-deps --no-build-isolation -e .
# The Lambda runs Python 3.13: the function's own tests run on it too.
PY313 ?= $(shell command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null || ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | tail -1)
VENV313 := .venv313
FUNCTION_TESTS := tests/function tests/runtime
# The grammars the page highlights, listed once for this copy and the deployment's (infra/stack.py).
HIGHLIGHT_GRAMMARS_LIST := web/highlight-grammars.json
HIGHLIGHT_GRAMMARS = $(shell node -p 'require("./$(HIGHLIGHT_GRAMMARS_LIST)").join(" ")')

.PHONY: help dev test test-py test-py313 test-web lint lock bench synth deploy destroy clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/stream-chat: pyproject.toml $(LOCKS)
	$(if $(wildcard $(BIN)/python),,$(need-python) -m venv $(VENV))
	$(call install-locked,$(BIN))
	@touch $@

$(VENV313)/bin/pytest: pyproject.toml $(LOCKS)
	@test -n "$(PY313)" || { echo "python3.13 not found"; exit 1; }
	@test -x $(VENV313)/bin/python || $(PY313) -m venv $(VENV313)
	$(call install-locked,$(VENV313)/bin)
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Browser libraries come from npm (lockfile) and are copied next to the page, minified, never
# committed (the deployment does the same: infra/page_assets.py).
ESBUILD := node_modules/.bin/esbuild --minify --format=esm --log-level=warning
web/vendor: node_modules/.package-lock.json $(HIGHLIGHT_GRAMMARS_LIST)
	rm -rf web/vendor
	mkdir -p web/vendor
	$(ESBUILD) node_modules/marked/lib/marked.esm.js --outfile=web/vendor/marked.esm.js
	$(ESBUILD) node_modules/dompurify/dist/purify.es.mjs --outfile=web/vendor/purify.es.mjs
	$(ESBUILD) node_modules/katex/dist/katex.mjs --outfile=web/vendor/katex.mjs
	mkdir -p web/vendor/highlight/languages
	cp node_modules/@highlightjs/cdn-assets/es/core.min.js web/vendor/highlight/core.min.js
	for name in $(HIGHLIGHT_GRAMMARS); do \
	  cp node_modules/@highlightjs/cdn-assets/es/languages/$$name.min.js web/vendor/highlight/languages/; \
	done
	@touch $@

dev: $(BIN)/stream-chat web/vendor ## run the product locally at http://127.0.0.1:8000
	$(BIN)/stream-chat serve --snap-start

test: test-py test-py313 test-web ## run every test

test-py: $(BIN)/stream-chat web/vendor
	$(BIN)/pytest -q

test-py313: $(VENV313)/bin/pytest
	$(VENV313)/bin/pytest -q $(FUNCTION_TESTS)

test-web: node_modules/.package-lock.json
	node --test tests/web/

lint: $(BIN)/stream-chat node_modules/.package-lock.json web/vendor ## ruff, mypy strict, tsc --checkJs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	npx --no-install tsc -p web/jsconfig.json

# uv comes from the venv (the dev lock pins it); order-only, so that a changed pyproject.toml
# is locked before any venv is rebuilt from it.
lock: | $(BIN)/stream-chat ## re-resolve the locks from pyproject.toml (UPGRADE=name|all: newer versions)
	$(BIN)/uv pip compile pyproject.toml --quiet $(LAMBDA_TARGET) --generate-hashes \
	  $(upgrade-flags) -o $(LAMBDA_LOCK)
	$(BIN)/uv pip compile pyproject.toml --quiet $(DEV_TARGET) --generate-hashes \
	  $(upgrade-flags) -o $(DEV_LOCK)

bench: $(BIN)/stream-chat ## latency, CPU and cancellation benchmarks
	$(BIN)/python -m tests.bench

synth: $(BIN)/stream-chat node_modules/.package-lock.json web/vendor ## write the CloudFormation template to cdk.out
	npx --no-install cdk synth --quiet

deploy: $(BIN)/stream-chat node_modules/.package-lock.json web/vendor ## deploy to the current AWS account
	npx --no-install cdk deploy

destroy: node_modules/.package-lock.json ## delete the deployed stack
	npx --no-install cdk destroy

clean: ## remove everything the targets built
	rm -rf $(VENV) $(VENV313) node_modules web/vendor cdk.out .mypy_cache .ruff_cache .pytest_cache
