# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/gongkai demo
	@echo
	@echo "看板（浏览器打开 http://127.0.0.1:8000/ ；设置 GONGKAI_WEB_TOKEN 后可网上报送和上传草稿）："
	@echo "  $(BIN)/gongkai serve"
	@echo "报告："
	@echo "  $(BIN)/gongkai report --format xlsx -o var/reports/政务公开.xlsx"
	@echo "  $(BIN)/gongkai report --format docx -o var/reports/通报.docx"
	@echo "  $(BIN)/gongkai report --format html -o var/reports/政务公开.html"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	./.ci/ensure-postgres
	bash .ci/browser
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf var
