# Entry points; each runs as root and installs what it needs (scripts/deps.sh).
# Pass benchmark flags with ARGS, e.g. `make bench ARGS="--runs 1 --methods d,e"`.
.PHONY: bench demo test

bench:
	bash scripts/bench.sh $(ARGS)

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh
