# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Links and QR codes point at the port served, unless GUANHU_PUBLIC_BASE_URL says otherwise.
run: export GUANHU_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(STAMP)
	$(BIN)/guanhu db upgrade
	$(BIN)/guanhu demo load --if-empty
	GUANHU_SCHEDULER_IN_PROCESS=1 GUANHU_WORKER_IN_PROCESS=1 GUANHU_WECHAT_SANDBOX=$${GUANHU_WECHAT_SANDBOX:-1} $(BIN)/guanhu run --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
