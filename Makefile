# Satchel: the two commands of the README's quick start, and a few helpers.
#   make demo   installs what is missing, builds, and serves the built-in sample content on port 8080
#   make test   installs what is missing, builds, starts the test PostgreSQL, and runs every test

SWIFT ?= swift
export PATH := $(PATH):/opt/swift/usr/bin
PORT ?= 8080

.PHONY: demo test build deps lint clean deb package-check

deps:
	sh scripts/install-deps.sh

build: deps
	$(SWIFT) build

demo: build
	./.build/debug/satchel demo --port $(PORT)

test: deps lint
	$(SWIFT) build --build-tests
	url=$$(sh scripts/start-test-postgres.sh) && SATCHEL_TEST_POSTGRES="$$url" $(SWIFT) test --skip-build --no-parallel
	$(MAKE) package-check

# Builds a .deb from the debug binary and checks its contents, modes and maintainer scripts (the school package is
# built from a static release binary by `make deb`).
package-check:
	rm -rf .build/deb-check
	sh packages/build-deb.sh --binary .build/debug/satchel --allow-dynamic-swift --output .build/deb-check
	sh packages/check-deb.sh --allow-dynamic-swift .build/deb-check/satchel_*.deb

deb:
	sh packages/build-deb.sh

lint:
	@echo "lint: swift format lint --strict"
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build satchel-demo satchel-data
