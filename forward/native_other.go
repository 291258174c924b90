//go:build !amd64 && !arm64 && !riscv64 && !ppc64le && !s390x

package forward

// nativeHandler is false where sexton falls back to os/signal, which never
// delivers SIGPROF or 34.
const nativeHandler = false
