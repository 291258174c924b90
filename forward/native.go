//go:build amd64 || arm64 || riscv64 || ppc64le || s390x

package forward

// nativeHandler says that sexton catches signals with its own handler
// (reaper/catch.go) on this architecture, so SIGPROF and 34, which
// os/signal never delivers, reach it too.
const nativeHandler = true
