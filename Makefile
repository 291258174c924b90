# The one place that says how sexton is built; the Dockerfile and the tests
# use these targets, so every build is the release build.
GO      ?= go
CC      ?= gcc
BIN     ?= sexton
PKG     ?= .
FIXTURE ?= test/fixture/fixture
COMMIT  ?= $(shell git rev-parse --short=7 HEAD 2>/dev/null)

# Exactly the toolchain that go.mod's toolchain line names, for every go
# command run from here (go.mod alone only sets a minimum): the same
# commit then builds the same bytes wherever it is built (-trimpath keeps
# the directory out). The Dockerfile and CI build through these targets.
# The go command fetches that toolchain if the one installed differs.
GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)
export GOTOOLCHAIN

# asyncpreemptoff=1 as the runtime's link-time GODEBUG default stops the
# runtime from sending itself SIGURG, so a SIGURG that reaches sexton was
# sent by someone and is relayed. reaper.godebugDefault gets the same value,
# since a program cannot read the runtime's (reaper/urg.go).
GODEBUG_DEFAULT := asyncpreemptoff=1
LDFLAGS := -s -w -X=runtime.godebugDefault=$(GODEBUG_DEFAULT) \
	-X=github.com/sexton-init/sexton/reaper.godebugDefault=$(GODEBUG_DEFAULT) -X=main.gitCommit=$(COMMIT)

# Release binaries: static, one per architecture that has sexton's signal
# handler (reaper/catch_$GOARCH.s, the one list of them), with SHA-256 sums.
DIST   ?= dist
ARCHES ?= $(patsubst reaper/catch_%.s,%,$(wildcard reaper/catch_*.s))

.PHONY: build fixture test lint fuzz soak demo dist clean bench

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) $(PKG)

fixture:
	$(CC) -static -O2 -Wall -Wextra -o $(FIXTURE) test/fixture/fixture.c

# Every test: unit tests with the race detector for the packages that need
# no root, then test/, which builds sexton and the fixture through the
# targets above and runs them as PID 1 (needs root and runc; under CI=true
# their absence fails the run).
test:
	test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 . ./forward/ ./reaper/ ./test/internal/procfs/
	$(GO) test -count=1 -timeout 20m ./test/

lint:
	staticcheck ./...

# sexton as PID 1 of a fresh PID namespace (as root; otherwise as a
# subreaper) in front of a shell that leaves three orphans behind: -v shows
# each one reaped, and sexton exits with the shell's status.
DEMO_CMD := sh -c 'for i in 1 2 3; do (sleep 0.2 &); done; echo shell: left 3 orphans, exiting 0 in 1s; sleep 1'
demo: build
	@if [ "$$(id -u)" = 0 ]; then \
		echo "$$ unshare --pid --fork --mount-proc ./$(BIN) -v -- $(DEMO_CMD)"; \
		unshare --pid --fork --mount-proc ./$(BIN) -v -- $(DEMO_CMD); \
	else \
		echo "(not root: sexton runs as a subreaper instead of PID 1)"; \
		echo "$$ ./$(BIN) -v -- $(DEMO_CMD)"; \
		./$(BIN) -v -- $(DEMO_CMD); \
	fi; echo "exit status: $$?"

# Every parser (the image's passwd and group files included), fuzzed for a bounded budget each: a panic in PID 1 would take
# the container down. The budget is a count of executions (about 10 s each
# here), not a duration: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" as the time runs out
# (golang/go#75804, fixed in 1.27; seen once in our CI). FUZZTIME=1m or
# FUZZTIME=5000000x for a longer run.
FUZZTIME ?= 300000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseSignal$$' -fuzztime $(FUZZTIME) ./forward/
	$(GO) test -run '^$$' -fuzz '^FuzzParseRewrite$$' -fuzztime $(FUZZTIME) ./forward/
	$(GO) test -run '^$$' -fuzz '^FuzzParseDuration$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzParseArgs$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzParseProbeURL$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzResolveUser$$' -fuzztime $(FUZZTIME) ./reaper/

# sexton against tini, dumb-init and catatonit, each as PID 1 of a fresh PID
# namespace (as root, ~1-2 minutes): one markdown table on stdout, progress on
# stderr (BENCHMARKS.md explains the columns). Installs the peers if missing.
BENCH_PEERS := tini dumb-init catatonit
# Extra flags for the bench, e.g. -variant old=/tmp/sexton-old to compare two builds in one run.
BENCH_FLAGS ?=
bench: build fixture
	@missing=; for p in $(BENCH_PEERS); do [ -x /usr/bin/$$p ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y $$missing; fi
	$(GO) run ./test/bench -sexton ./$(BIN) -fixture $(FIXTURE) $(BENCH_FLAGS)

# The full-size reliability run: a million orphans, then the signal storm,
# each test printing what it did (orphans reaped, signals received, VmRSS).
soak: build fixture
	SEXTON_SOAK_ORPHANS=1000000 $(GO) test -count=1 -timeout 30m -v -run '^(TestOrphanFlood|TestSignalStorm)$$' ./test/

dist:
	mkdir -p $(DIST)
	for arch in $(ARCHES); do \
		GOARCH=$$arch $(MAKE) -s build BIN=$(DIST)/sexton-linux-$$arch || exit 1; \
	done
	cd $(DIST) && sha256sum sexton-linux-* > SHA256SUMS

clean:
	rm -rf $(BIN) $(FIXTURE) $(DIST)
