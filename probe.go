package main

import (
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A health check for images without a shell or curl:
//
//	HEALTHCHECK CMD ["/sexton", "--probe", "http://127.0.0.1:8080/healthz"]
//
// It is not init behaviour, so it lives here and not in reaper. It speaks
// through x/sys/unix (a non-blocking connect, poll for the deadline): the
// net package would add 548 KiB to every container's init, net/http more,
// and a probe needs one connect, one write and one read.

// probeTarget is a parsed --probe URL.
type probeTarget struct {
	url   string          // as given, for messages
	http  bool            // http://, else tcp://
	addrs []unix.Sockaddr // tried in turn: localhost is 127.0.0.1, then ::1
	host  string          // HOST:PORT as written, for the Host header
	path  string          // the request target, "/" at least
}

// defaultProbeTimeout bounds a probe without --probe-timeout: under
// Docker's default HEALTHCHECK timeout of 30 s, so that sexton, not Docker,
// says what failed.
const defaultProbeTimeout = 5 * time.Second

const probeUsage = "; use tcp://HOST:PORT or http://HOST:PORT/PATH with HOST an IP address or localhost"

// parseProbeURL reads tcp://HOST:PORT or http://HOST[:PORT][/PATH]. HOST is
// an IPv4 address, an IPv6 address in brackets, or localhost: a probe
// checks this container's own server, and needs no DNS.
func parseProbeURL(name, s string) (*probeTarget, error) {
	bad := func(why string) (*probeTarget, error) {
		return nil, usageError(name + " " + strconv.Quote(s) + ": " + why)
	}
	t := &probeTarget{url: s, path: "/"}
	rest, ok := strings.CutPrefix(s, "http://")
	if ok {
		t.http = true
	} else if rest, ok = strings.CutPrefix(s, "tcp://"); !ok {
		return bad("the scheme must be tcp:// or http:// (https is not supported)" + probeUsage)
	}
	hostport := rest
	if t.http {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			hostport, t.path = rest[:i], rest[i:]
		}
		t.path, _, _ = strings.Cut(t.path, "#") // a fragment is never sent
		for _, c := range []byte(t.path) {
			if c <= ' ' || c == 0x7f {
				return bad("the path holds a space or control character; percent-encode it")
			}
		}
	} else if strings.ContainsAny(hostport, "/?#") {
		return bad("a tcp:// URL has no path" + probeUsage)
	}
	if hostport == "" {
		return bad("no host" + probeUsage)
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		i := strings.IndexByte(hostport, ']')
		if i < 0 {
			return bad("no ] after the IPv6 address")
		}
		host, port = hostport[1:i], hostport[i+1:]
		if port != "" && port[0] != ':' {
			return bad("a port must follow the ] as :PORT")
		}
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i:]
	}
	port = strings.TrimPrefix(port, ":")
	if port == "" {
		if !t.http {
			return bad("no port" + probeUsage)
		}
		port = "80"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' || port[0] == '-' {
		return bad("port " + strconv.Quote(port) + " is not a number 1-65535")
	}
	t.host = hostport
	switch {
	case host == "localhost":
		t.addrs = []unix.Sockaddr{&unix.SockaddrInet4{Port: n, Addr: [4]byte{127, 0, 0, 1}}, &unix.SockaddrInet6{Port: n, Addr: [16]byte{15: 1}}}
	case hostport[0] == '[':
		a, ok := parseIPv6(host)
		if !ok {
			return bad(strconv.Quote(host) + " is not an IPv6 address")
		}
		t.addrs = []unix.Sockaddr{&unix.SockaddrInet6{Port: n, Addr: a}}
	default:
		a, ok := parseIPv4(host)
		if !ok {
			return bad("host " + strconv.Quote(host) + " is not an IP address or localhost (sexton resolves no names)" + probeUsage)
		}
		t.addrs = []unix.Sockaddr{&unix.SockaddrInet4{Port: n, Addr: a}}
	}
	return t, nil
}

// parseIPv4 reads a dotted quad of decimal numbers 0-255, no leading zeros
// (which some parsers read as octal).
func parseIPv4(s string) (a [4]byte, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return a, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || p[0] == '+' || (len(p) > 1 && p[0] == '0') {
			return a, false
		}
		a[i] = byte(n)
	}
	return a, true
}

// parseIPv6 reads an IPv6 address as RFC 4291 writes it: eight groups of
// up to four hex digits, one "::" for a run of zero groups, and an IPv4
// address in the last 32 bits allowed. No zone (%eth0).
func parseIPv6(s string) (a [16]byte, ok bool) {
	head, tail, compressed := strings.Cut(s, "::")
	if compressed && strings.Contains(tail, "::") {
		return a, false
	}
	groups := func(s string) ([]byte, bool) {
		var b []byte
		if s == "" {
			return b, true
		}
		parts := strings.Split(s, ":")
		for i, p := range parts {
			if i == len(parts)-1 && strings.Contains(p, ".") {
				v4, ok := parseIPv4(p)
				return append(b, v4[:]...), ok
			}
			n, err := strconv.ParseUint(p, 16, 16)
			if err != nil || len(p) > 4 || p[0] == '+' {
				return nil, false
			}
			b = append(b, byte(n>>8), byte(n))
		}
		return b, true
	}
	h, ok1 := groups(head)
	t, ok2 := groups(tail)
	switch {
	case !ok1 || !ok2:
		return a, false
	case !compressed && len(h) != 16:
		return a, false
	case compressed && len(h)+len(t) > 14:
		return a, false
	}
	copy(a[:], h)
	copy(a[16-len(t):], t)
	return a, true
}

// probe connects to t within timeout (0: no limit) and, for http://,
// sends one GET and reads the status line. It returns 0 for a connection
// accepted or a 2xx or 3xx status, and 1 with one line on stderr saying
// what failed otherwise.
func probe(t *probeTarget, timeout time.Duration, stderr io.Writer) int {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	why := t.check(deadline)
	if why == "" {
		return 0
	}
	if why == "timeout" {
		why = "no answer within " + timeout.String() + " (--probe-timeout)"
	}
	io.WriteString(stderr, "sexton: probe "+t.url+": "+why+"\n")
	return 1
}

// check does the probe and returns what failed, "timeout", or "" for
// success.
func (t *probeTarget) check(deadline time.Time) string {
	var fd int
	why := ""
	for _, sa := range t.addrs {
		fd, why = connect(sa, deadline)
		if why == "" {
			break
		}
	}
	if why != "" {
		return why
	}
	defer unix.Close(fd)
	if !t.http {
		return ""
	}
	req := "GET " + t.path + " HTTP/1.1\r\nHost: " + t.host + "\r\nConnection: close\r\nUser-Agent: sexton-probe\r\n\r\n"
	for b := []byte(req); len(b) > 0; {
		// MSG_NOSIGNAL: a server that closed first gives EPIPE, not a
		// SIGPIPE.
		n, err := unix.SendmsgN(fd, b, nil, nil, unix.MSG_NOSIGNAL)
		switch {
		case err == unix.EAGAIN:
			if why := wait(fd, unix.POLLOUT, deadline); why != "" {
				return why
			}
		case err == unix.EINTR:
		case err != nil:
			return "send: " + err.Error()
		default:
			b = b[n:]
		}
	}
	// Only the status line matters; 512 bytes hold any sane one.
	var buf [512]byte
	got := 0
	for got < len(buf) && !strings.Contains(string(buf[:got]), "\n") {
		n, err := unix.Read(fd, buf[got:])
		switch {
		case err == unix.EAGAIN:
			if why := wait(fd, unix.POLLIN, deadline); why != "" {
				return why
			}
			continue
		case err == unix.EINTR:
			continue
		case err != nil:
			return "read: " + err.Error()
		case n == 0:
			if got == 0 {
				return "the server closed the connection without an answer"
			}
			return "the answer ended inside its status line: " + strconv.Quote(string(buf[:got]))
		}
		got += n
	}
	line, _, _ := strings.Cut(string(buf[:got]), "\n")
	line = strings.TrimSuffix(line, "\r")
	// "HTTP/1.1 200 OK": a version, a space, three digits.
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/") || len(code) != 3 || err != nil {
		return "not an HTTP answer: " + strconv.Quote(line)
	}
	if status < 200 || status > 399 {
		return "answered " + strconv.Quote(line) + "; want a 2xx or 3xx status"
	}
	return ""
}

// connect opens a TCP connection to sa by the deadline: a non-blocking
// connect, then poll for it to complete, then SO_ERROR for its outcome.
func connect(sa unix.Sockaddr, deadline time.Time) (int, string) {
	family := unix.AF_INET
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, "socket: " + err.Error()
	}
	err = unix.Connect(fd, sa)
	if err == unix.EINPROGRESS || err == unix.EINTR {
		// The connect goes on in the kernel; POLLOUT says it ended.
		if why := wait(fd, unix.POLLOUT, deadline); why != "" {
			unix.Close(fd)
			return -1, why
		}
		var e int
		if e, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && e != 0 {
			err = unix.Errno(e)
		}
	}
	if err != nil {
		unix.Close(fd)
		return -1, "connect: " + err.Error()
	}
	return fd, ""
}

// wait blocks in poll until fd is ready for events or the deadline (zero:
// none) passes; it returns "timeout" then, or what failed.
func wait(fd int, events int16, deadline time.Time) string {
	for {
		ms := -1
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return "timeout"
			}
			ms = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, ms)
		switch {
		case err == unix.EINTR:
		case err != nil:
			return "poll: " + err.Error()
		case n > 0:
			// POLLERR or POLLHUP too: the next call says what.
			return ""
		}
	}
}
