# PowerBeacon: the two commands of the README, plus the checks CI adds.

.PHONY: run test lint

## Build the release server and browser app, then run it on SQLite (./data).
run:
	@bash .ci/tasks.sh run

## Every test: unit, storage and API on SQLite and PostgreSQL, browser.
test:
	@bash .ci/tasks.sh test

## Formatting and lints, as CI checks them.
lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
