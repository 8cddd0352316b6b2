# A thin layer over CMake: `make run` runs the default deployment, `make test` runs every test.
# Both install missing Debian packages first and build incrementally.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# CI turns compiler warnings into errors; a local build only shows them.
WERROR ?= $(if $(CI),ON,OFF)
CONFIG ?= config/default.yaml

.PHONY: all deps configure build run test bench soak check-config describe-plugins clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTRADEHOST_WERROR=$(WERROR)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/tradehost --config $(CONFIG)

check-config: build
	$(BUILD_DIR)/tradehost --check-config $(CONFIG)

describe-plugins: build
	$(BUILD_DIR)/tradehost --describe-plugins

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Benchmarks and the long soak are never part of `make test`; figures go to bench/README.md.
# `bench/run.sh --help` lists the scenarios and their knobs (BENCH_RUNS, BENCH_DURATION_S, ...).
bench: build
	@tools/install-bench-deps.sh
	BUILD_DIR=$(BUILD_DIR) bench/run.sh

soak: build
	cmake --build $(BUILD_DIR) --target soak

clean:
	rm -rf $(BUILD_DIR)
