# Front door: `make run` starts the service, `make test` runs every test.
# The work is done by meson/ninja and the scripts in scripts/.
.PHONY: all build asan run test bench fuzz clean

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

# Every fuzz target for PHR_FUZZ_SECONDS each (10 minutes unless set);
# make test runs them for 20 s.
fuzz:
	@scripts/fuzz.sh $${PHR_FUZZ_SECONDS:-600}

clean:
	rm -rf build build-asan
