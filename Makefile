# The two commands a newcomer needs: `make run` and `make test` (see README.md).
GO      ?= go
BIN     := bin/vigil
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/vigilsec/vigil/internal/version.Version=$(VERSION)

.PHONY: build run test test-go test-e2e vet fmt-check clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/vigil

run: build
	./$(BIN) serve

test: fmt-check vet test-go test-e2e

fmt-check:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 ./...

test-e2e: build
	VIGIL_BIN=$(CURDIR)/$(BIN) ./e2e/run.sh

clean:
	rm -rf bin
