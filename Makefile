# Front door: `make run` starts the service, `make test` runs every test.
# The work is done by meson/ninja and the scripts in scripts/.
.PHONY: all build asan run test bench clean

all: build

build:
	@scripts/build.sh release

asan:
	@scripts/build.sh asan

run:
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh

clean:
	rm -rf build build-asan
