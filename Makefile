# The one place that says how sexton is built; the Dockerfile and the tests
# use these targets, so every build is the release build.
GO      ?= go
CC      ?= gcc
BIN     ?= sexton
FIXTURE ?= test/fixture/fixture
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# asyncpreemptoff=1 as the runtime's link-time default stops the runtime
# from sending itself SIGURG, so a SIGURG that reaches sexton was sent by
# someone and is relayed (reaper/urg.go checks for this exact flag).
LDFLAGS := -s -w -X=runtime.godebugDefault=asyncpreemptoff=1 -X=main.version=$(VERSION)

.PHONY: build fixture test check demo clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) .

fixture:
	$(CC) -static -O2 -Wall -Wextra -o $(FIXTURE) test/fixture/fixture.c

# The tests build both binaries themselves (through the targets above).
test:
	$(GO) test -count=1 ./...

check:
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	staticcheck ./...
	$(GO) test -race -count=1 ./forward/ .

clean:
	rm -f $(BIN) $(FIXTURE)
