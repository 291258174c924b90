package main

import (
	"io"
	"os"
	"path/filepath"
)

// install copies the running binary to dir/sexton and returns that path:
// the Kubernetes init-container pattern, where an image with nothing but
// sexton (no cp) puts it into a volume that the application's container
// then runs it from. The copy is written to a temporary file in dir and
// renamed over dir/sexton, so a container that runs dir/sexton meanwhile
// sees the old file or the new one, never half of one.
func install(dir string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", usageError("--install: cannot find sexton's own binary: " + err.Error())
	}
	src, err := os.Open(self)
	if err != nil {
		return "", usageError("--install: cannot read sexton's own binary: " + err.Error())
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".sexton-*")
	if err != nil {
		return "", usageError("--install " + dir + ": " + unwrapPath(err) + "; give an existing directory that sexton may write to")
	}
	dst := filepath.Join(dir, "sexton")
	_, err = io.Copy(tmp, src)
	if err == nil {
		err = tmp.Chmod(0o755)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", usageError("--install " + dir + ": writing " + dst + ": " + unwrapPath(err))
	}
	return dst, nil
}

// unwrapPath is the errno of a *os.PathError or *os.LinkError, without the
// path the message already names.
func unwrapPath(err error) string {
	switch e := err.(type) {
	case *os.PathError:
		return e.Err.Error()
	case *os.LinkError:
		return e.Err.Error()
	}
	return err.Error()
}
