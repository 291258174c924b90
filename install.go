package main

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// install copies the running binary to dir/sexton and returns that path:
// the Kubernetes init-container pattern, where an image with nothing but
// sexton (no cp) puts it into a volume that the application's container
// then runs it from. The copy is written to a temporary file in dir and
// renamed over dir/sexton, so a container that runs dir/sexton meanwhile
// sees the old file or the new one, never half of one.
//
// Bare system calls, not os: os.Rename and the copy's Stat bring
// os.FileInfo, and with it time's formatting, into the binary (53 KiB).
func install(dir string) (string, error) {
	fail := func(what string, err error) (string, error) {
		return "", usageError("--install " + dir + ": " + what + err.Error() + "; give an existing directory that sexton may write to")
	}
	src, err := unix.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", usageError("--install: cannot read sexton's own binary through /proc/self/exe: " + err.Error())
	}
	defer unix.Close(src)
	dst := dir + "/sexton"
	tmp := dir + "/.sexton-" + strconv.Itoa(unix.Getpid())
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o755)
	if err != nil {
		return fail("", err)
	}
	err = copyAll(fd, src)
	if err == nil {
		err = unix.Fchmod(fd, 0o755) // whatever the umask
	}
	if err == nil {
		err = unix.Fsync(fd)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Rename(tmp, dst)
	}
	if err != nil {
		unix.Unlink(tmp)
		return fail("writing "+dst+": ", err)
	}
	return dst, nil
}

// copyAll copies everything from src, read from its start, to dst.
func copyAll(dst, src int) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(src, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n == 0:
			return nil
		}
		for b := buf[:n]; len(b) > 0; {
			m, err := unix.Write(dst, b)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			b = b[m:]
		}
	}
}
