# Entry points; each runs as root and installs what it needs (scripts/deps.sh).
# Pass benchmark flags with ARGS, e.g. `make bench ARGS="--runs 1 --methods d,e"`.
.PHONY: bench build deb demo test

bench:
	bash scripts/bench.sh $(ARGS)

# Static, version-stamped bin/sysroll (scripts/build.sh).
build:
	bash scripts/build.sh

# dist/sysroll_VERSION_ARCH.deb with man pages and completions (scripts/deb.sh).
deb:
	bash scripts/deb.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh
