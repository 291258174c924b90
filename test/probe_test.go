package test

import (
	"bufio"
	"bytes"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runProbe runs sexton --probe (a plain process: a health check is not an
// init) and returns its exit code and stderr.
func runProbe(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() // ends when sexton does
	select {
	case <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sexton %v did not exit within %v", args, timeout)
	}
	return codeOf(cmd.ProcessState, nil), stderr.String()
}

// httpServer listens on addr and answers each connection with answer
// (nothing when answer is ""; it then holds the connection until the test
// ends). It records each request's head. It stops at the end of the test.
func httpServer(t *testing.T, network, addr, answer string) (port string, requests <-chan string) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	reqs := make(chan string, 16)
	var conns []net.Conn
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
	})
	go func() {
		// Ends when Cleanup closes the listener.
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
			go func() {
				// Ends when the client closes, or at Cleanup.
				r := bufio.NewReader(c)
				var head strings.Builder
				for {
					line, err := r.ReadString('\n')
					head.WriteString(line)
					if err != nil || line == "\r\n" {
						break
					}
				}
				select {
				case reqs <- head.String():
				default:
				}
				if answer == "" {
					<-stop
					return
				}
				c.Write([]byte(answer))
				c.Close()
			}()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, reqs
}

// --probe against a listener of the test's own: 2xx and 3xx pass, other
// statuses, a closed port and silence fail with one line and 1.
func TestProbe(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	port, reqs := httpServer(t, "tcp4", "127.0.0.1:0", ok)
	url := "http://127.0.0.1:" + port + "/healthz?full=1"
	if code, errs := runProbe(t, nil, "--probe", url); code != 0 || errs != "" {
		t.Fatalf("probe %s = %d %q; want 0 and no output", url, code, errs)
	}
	want := "GET /healthz?full=1 HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\nUser-Agent: sexton-probe\r\n\r\n"
	select {
	case got := <-reqs:
		if got != want {
			t.Errorf("request = %q; want %q", got, want)
		}
	case <-time.After(timeout):
		t.Fatal("the server never saw the request")
	}

	for _, tt := range []struct {
		answer string
		code   int
		errs   string // the line on stderr after "sexton: probe URL: "
	}{
		{"HTTP/1.0 204 No Content\r\n\r\n", 0, ""},
		{"HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n", 0, ""},
		{"HTTP/1.1 500 Internal Server Error\r\n\r\n", 1, `answered "HTTP/1.1 500 Internal Server Error"; want a 2xx or 3xx status`},
		{"HTTP/1.1 404 Not Found\r\n\r\n", 1, `answered "HTTP/1.1 404 Not Found"; want a 2xx or 3xx status`},
		{"SSH-2.0-OpenSSH_9.6\r\n", 1, `not an HTTP answer: "SSH-2.0-OpenSSH_9.6"`},
	} {
		port, _ := httpServer(t, "tcp4", "127.0.0.1:0", tt.answer)
		url := "http://localhost:" + port + "/"
		code, errs := runProbe(t, nil, "--probe", url)
		wantErrs := ""
		if tt.errs != "" {
			wantErrs = "sexton: probe " + url + ": " + tt.errs + "\n"
		}
		if code != tt.code || errs != wantErrs {
			t.Errorf("answer %q: probe = %d %q; want %d %q", tt.answer, code, errs, tt.code, wantErrs)
		}
	}

	// tcp://: a listener that accepts passes, even if it never speaks.
	port, _ = httpServer(t, "tcp4", "127.0.0.1:0", "")
	if code, errs := runProbe(t, nil, "--probe", "tcp://127.0.0.1:"+port); code != 0 || errs != "" {
		t.Errorf("tcp probe of a listener = %d %q; want 0", code, errs)
	}

	// IPv6, where the machine has it.
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		port, _ := httpServer(t, "tcp6", "[::1]:0", ok)
		if code, errs := runProbe(t, nil, "--probe", "http://[::1]:"+port+"/"); code != 0 {
			t.Errorf("probe over IPv6 = %d %q; want 0", code, errs)
		}
	}
}

// A closed port fails at once; a server that never answers fails at the
// timeout, given by the option or by its variable.
func TestProbeFailures(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closed, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	for _, scheme := range []string{"tcp", "http"} {
		url := scheme + "://127.0.0.1:" + closed
		code, errs := runProbe(t, nil, "--probe", url)
		if want := "sexton: probe " + url + ": connect: connection refused\n"; code != 1 || errs != want {
			t.Errorf("probe of a closed port = %d %q; want 1 %q", code, errs, want)
		}
	}

	port, _ := httpServer(t, "tcp4", "127.0.0.1:0", "")
	url := "http://127.0.0.1:" + port + "/"
	for _, run := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"--probe-timeout", "0.3", "--probe", url}},
		{[]string{"SEXTON_PROBE_TIMEOUT=300ms"}, []string{"--probe", url}},
	} {
		start := time.Now()
		code, errs := runProbe(t, run.env, run.args...)
		took := time.Since(start)
		if want := "sexton: probe " + url + ": no answer within 300ms (--probe-timeout)\n"; code != 1 || errs != want {
			t.Errorf("%v %v: probe of a silent server = %d %q; want 1 %q", run.env, run.args, code, errs, want)
		}
		if took < 300*time.Millisecond || took > 3*time.Second {
			t.Errorf("%v %v: the probe took %v; want about 300ms", run.env, run.args, took)
		}
	}
}

// A bad URL, or --probe with a command, is one line and 125.
func TestProbeBadURL(t *testing.T) {
	for _, tt := range []struct{ args []string }{
		{[]string{"--probe", "https://127.0.0.1/"}},
		{[]string{"--probe", "http://example.com/"}},
		{[]string{"--probe", "tcp://127.0.0.1"}},
		{[]string{"--probe", "tcp://127.0.0.1:0"}},
		{[]string{"--probe", "tcp://127.0.0.1:65536"}},
		{[]string{"--probe", "http://127.0.0.1:80/a b"}},
		{[]string{"--probe", "http://1.2.3:80/"}},
		{[]string{"--probe", "http://[::1:80/"}},
		{[]string{"--probe", ""}},
		{[]string{"--probe"}},
		{[]string{"--probe", "tcp://127.0.0.1:80", "--", "true"}},
		{[]string{"--probe-timeout", "soon", "--probe", "tcp://127.0.0.1:80"}},
	} {
		code, errs := runProbe(t, nil, tt.args...)
		if code != 125 || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "sexton: ") {
			t.Errorf("sexton %q = %d %q; want 125 and one line", tt.args, code, errs)
		}
	}
	// What the line says, once.
	code, errs := runProbe(t, nil, "--probe", "tcp://db:5432")
	want := `sexton: --probe "tcp://db:5432": host "db" is not an IP address or localhost (sexton resolves no names); use tcp://HOST:PORT or http://HOST:PORT/PATH with HOST an IP address or localhost` + "\n"
	if code != 125 || errs != want {
		t.Errorf("probe tcp://db:5432 = %d %q; want 125 %q", code, errs, want)
	}
}
