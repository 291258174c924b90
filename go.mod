module github.com/sexton-init/sexton

go 1.26.0

// The one pin of the Go toolchain: the Makefile builds with exactly this
// one (GOTOOLCHAIN), and so do the Dockerfile and CI, which build through
// the Makefile.
toolchain go1.26.8

require golang.org/x/sys v0.50.0
