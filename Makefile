PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-hermetic lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m ragbot.demo

# Hermetic tests: a subset runs again with junk in every variable Ragbot or a vendor SDK reads, as a deployer's shell
# may have set them; tests/conftest.py scrubs them, so the results must not change.
JUNK_ENV := REDIS_URL=redis://:junk-pass@127.0.0.1:1/0 DATABASE_URL=postgresql://junk:junk@127.0.0.1:1/junk \
	VOYAGE_API_KEY=junk-voyage ANTHROPIC_API_KEY=junk-anthropic OPENAI_API_KEY=junk OPENAI_BASE_URL=http://127.0.0.1:1 \
	RAGBOT_EMBEDDER=voyage RAGBOT_CHAT_MODEL=junk RAGBOT_TOP_K=junk RAGBOT_LOG_FORMAT=junk RAGBOT_DATA_DIR=/nonexistent \
	RAGBOT_ALLOW_PRIVATE_URLS=true RAGBOT_MAX_CHUNKS_PER_DOCUMENT=1 SLACK_BOT_TOKEN=xoxb-junk DISCORD_TOKEN=junk
HERMETIC_TESTS := tests/test_hermetic.py tests/workers/test_config.py tests/deploy/test_settings_documented.py \
	tests/security/test_fetch_deadline.py tests/cli/test_batches_and_errors.py

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q
	env $(JUNK_ENV) $(BIN)/python -m pytest -q $(HERMETIC_TESTS)

test-hermetic: $(STAMP)
	env $(JUNK_ENV) $(BIN)/python -m pytest -q $(HERMETIC_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check ragbot tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Quick sizes by default (minutes once the real-text database exists); `make bench FULL=1` runs the full sizes:
# 100k synthetic chunks plus the whole Python manual (~28k real chunks, ~20 minutes to build the first time),
# 200 HTML pages for seed vs Ragbot ingest and for peak memory.
bench: $(STAMP)
	$(BIN)/python benchmarks/retrieval.py $(if $(FULL),,--n 20000 --queries 100 --real-pages 40 --no-langchain)
	$(BIN)/python benchmarks/ingest.py $(if $(FULL),--pages 200,--pages 20 --local-docs 6 --repeat 1)
	$(BIN)/python benchmarks/worker_memory.py --html $(if $(FULL),200,20)
	$(BIN)/python benchmarks/scale.py $(if $(FULL),--n 1000000 --spaces 1000 --no-halfvec)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
