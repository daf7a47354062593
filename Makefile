.PHONY: check test lint readme
check: test lint
test:
	.venv/bin/pytest
lint:
	.venv/bin/ruff check matcher tests benchmarks
	.venv/bin/ruff format --check matcher tests benchmarks
readme:
	.venv/bin/python tests/test_docs.py
