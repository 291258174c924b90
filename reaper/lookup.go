package reaper

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// defaultPath is what execvp(3) searches when PATH is unset.
const defaultPath = "/bin:/usr/bin"

// lookPath finds name as execvp(3) does: a name with a slash is used as it
// is; otherwise each PATH directory is tried in turn (an empty entry means
// the current directory). A candidate that exists but cannot be executed is
// remembered, and reported as EACCES if no later one is executable.
func lookPath(name string) (string, error) {
	if name == "" {
		return "", &StartError{Path: name, Err: unix.ENOENT}
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", &StartError{Path: name, Err: err}
		}
		return name, nil
	}
	dirs, ok := os.LookupEnv("PATH")
	if !ok {
		dirs = defaultPath
	}
	var denied *StartError // the first candidate execvp would report EACCES for
	for dir := range strings.SplitSeq(dirs, ":") {
		if dir == "" {
			dir = "."
		}
		path := dir + "/" + name
		switch err := executable(path); err {
		case nil:
			return path, nil
		case unix.ENOENT, unix.ENOTDIR:
		default:
			if denied == nil {
				denied = &StartError{Path: path, Err: err}
			}
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", &StartError{Path: name, Err: ErrNotFound}
}

// executable checks that path is a regular file that we may execute, and
// says why not with the errno execve would give.
func executable(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err == unix.EACCES {
		return ErrSearchDenied // the file is not the problem: a directory is
	} else if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return unix.EACCES
	}
	// access(X_OK) applies the same permission rules as execve, root's
	// "any x bit" rule and noexec mounts aside (execve reports those).
	return unix.Access(path, unix.X_OK)
}
