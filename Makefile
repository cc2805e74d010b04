# The two commands a newcomer needs:  `make book`  and  `make test`.
# Each creates .venv from requirements.txt when it is missing or older than requirements.txt/pyproject.toml.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2

.PHONY: book test unit notebooks build-check html-check clean
book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "Open _build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest tests -m "not built_html" -q
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -n $(JOBS) --dist loadfile chapters -q
	$(BIN)/jupyter-book build . -W --keep-going
	$(BIN)/python -m pytest tests -m built_html -q

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

clean:
	rm -rf _build
