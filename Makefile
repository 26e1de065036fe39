# Satchel: the two commands of the README's quick start, and a few helpers.
#   make demo   installs what is missing, builds, and serves the built-in sample content on port 8080
#   make test   installs what is missing, builds, and runs every test

SWIFT ?= swift
export PATH := $(PATH):/opt/swift/usr/bin
PORT ?= 8080

.PHONY: demo test build deps lint clean

deps:
	sh scripts/install-deps.sh

build: deps
	$(SWIFT) build

demo: build
	./.build/debug/satchel demo --port $(PORT)

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

lint:
	@echo "lint: swift format lint --strict"
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build satchel-demo satchel-data
