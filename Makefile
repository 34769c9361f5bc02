# The two commands a newcomer needs: `make run` and `make test` (see README.md).
GO      ?= go
BIN     := bin/vigil
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/vigilsec/vigil/internal/version.Version=$(VERSION)

.PHONY: build run test test-go test-e2e chromium vet fmt-check lint-sigmahq clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/vigil

run: build
	./$(BIN) serve

test: fmt-check vet test-go test-e2e

fmt-check:
	@out=$$(gofmt -l cmd internal rules); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 ./...

test-e2e: build chromium
	VIGIL_BIN=$(CURDIR)/$(BIN) ./e2e/run.sh

# The browser tests drive Debian's Chromium; install it when missing and we may.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "The browser tests need Debian's Chromium: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

# Lint the public SigmaHQ rules Vigil has logs for (linux and aws) from a checkout beside
# this repository (SIGMAHQ=path/to/sigma/rules to use another); every rule must load and
# compile. Azure, GCP and M365 rules are left out: Vigil has no parsers for those logs.
SIGMAHQ ?= ../shared/corpora/sigmahq-rules/rules
lint-sigmahq: build
	./$(BIN) rules lint $(SIGMAHQ)/linux $(SIGMAHQ)/cloud/aws

clean:
	rm -rf bin
