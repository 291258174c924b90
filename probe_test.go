package main

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseProbeURL(t *testing.T) {
	v4 := func(a, b, c, d byte, port int) unix.Sockaddr {
		return &unix.SockaddrInet4{Port: port, Addr: [4]byte{a, b, c, d}}
	}
	tests := []struct {
		in      string
		http    bool
		host    string
		path    string
		addrs   int
		first   unix.Sockaddr // nil: not checked
		wantErr string        // substring of the error; "" means none
	}{
		{"tcp://127.0.0.1:5432", false, "127.0.0.1:5432", "/", 1, v4(127, 0, 0, 1, 5432), ""},
		{"http://10.0.0.2:8080/healthz", true, "10.0.0.2:8080", "/healthz", 1, v4(10, 0, 0, 2, 8080), ""},
		{"http://127.0.0.1", true, "127.0.0.1", "/", 1, v4(127, 0, 0, 1, 80), ""},
		{"http://127.0.0.1/a?b=c#frag", true, "127.0.0.1", "/a?b=c", 1, nil, ""},
		{"http://localhost:8080/", true, "localhost:8080", "/", 2, v4(127, 0, 0, 1, 8080), ""},
		{"http://[::1]:8080/x", true, "[::1]:8080", "/x", 1, &unix.SockaddrInet6{Port: 8080, Addr: [16]byte{15: 1}}, ""},
		{"tcp://[::ffff:10.0.0.1]:1", false, "[::ffff:10.0.0.1]:1", "/", 1, &unix.SockaddrInet6{Port: 1, Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}}, ""},
		{"http://", false, "", "", 0, nil, "no host"},
		{"http:///x", false, "", "", 0, nil, "no host"},
		{"https://127.0.0.1/", false, "", "", 0, nil, "https is not supported"},
		{"127.0.0.1:80", false, "", "", 0, nil, "scheme must be"},
		{"tcp://127.0.0.1", false, "", "", 0, nil, "no port"},
		{"tcp://127.0.0.1:80/x", false, "", "", 0, nil, "no path"},
		{"tcp://127.0.0.1:0", false, "", "", 0, nil, "not a number 1-65535"},
		{"tcp://127.0.0.1:+80", false, "", "", 0, nil, "not a number 1-65535"},
		{"tcp://127.0.0.1:65536", false, "", "", 0, nil, "not a number 1-65535"},
		{"tcp://db:5432", false, "", "", 0, nil, "resolves no names"},
		{"tcp://user@127.0.0.1:80", false, "", "", 0, nil, "not an IP address"},
		{"tcp://127.0.0.01:80", false, "", "", 0, nil, "not an IP address"},
		{"tcp://256.0.0.1:80", false, "", "", 0, nil, "not an IP address"},
		{"tcp://[::1:80", false, "", "", 0, nil, "no ]"},
		{"tcp://[::1]80", false, "", "", 0, nil, "must follow the ]"},
		{"tcp://[fe80::1%eth0]:80", false, "", "", 0, nil, "not an IPv6 address"},
		{"tcp://[1::2::3]:80", false, "", "", 0, nil, "not an IPv6 address"},
		{"http://127.0.0.1/a b", false, "", "", 0, nil, "space or control"},
		{"http://127.0.0.1/a\r\nX: y", false, "", "", 0, nil, "space or control"},
	}
	for _, tt := range tests {
		got, err := parseProbeURL("--probe", tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseProbeURL(%q) err = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseProbeURL(%q) err = %v", tt.in, err)
			continue
		}
		if got.http != tt.http || got.host != tt.host || got.path != tt.path || len(got.addrs) != tt.addrs {
			t.Errorf("parseProbeURL(%q) = http %v host %q path %q %d addrs; want %v %q %q %d", tt.in, got.http, got.host, got.path, len(got.addrs), tt.http, tt.host, tt.path, tt.addrs)
		}
		if tt.first != nil && !sameAddr(got.addrs[0], tt.first) {
			t.Errorf("parseProbeURL(%q) first address = %+v; want %+v", tt.in, got.addrs[0], tt.first)
		}
	}
}

func sameAddr(a, b unix.Sockaddr) bool {
	switch a := a.(type) {
	case *unix.SockaddrInet4:
		b, ok := b.(*unix.SockaddrInet4)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	case *unix.SockaddrInet6:
		b, ok := b.(*unix.SockaddrInet6)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	}
	return false
}

func TestParseIPv6(t *testing.T) {
	tests := []struct {
		in   string
		want [16]byte
		ok   bool
	}{
		{"::1", [16]byte{15: 1}, true},
		{"::", [16]byte{}, true},
		{"1::", [16]byte{1: 1}, true},
		{"2001:db8::8:800:200c:417a", [16]byte{0x20, 0x01, 0x0d, 0xb8, 9: 0x08, 10: 0x08, 12: 0x20, 13: 0x0c, 14: 0x41, 15: 0x7a}, true},
		{"1:2:3:4:5:6:7:8", [16]byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}, true},
		{"::ffff:1.2.3.4", [16]byte{10: 0xff, 11: 0xff, 12: 1, 13: 2, 14: 3, 15: 4}, true},
		{"1:2:3:4:5:6:7", [16]byte{}, false},
		{"1:2:3:4:5:6:7:8:9", [16]byte{}, false},
		{"1:2:3:4::5:6:7:8", [16]byte{}, false},
		{"12345::", [16]byte{}, false},
		{":1", [16]byte{}, false},
		{"1:", [16]byte{}, false},
		{"g::", [16]byte{}, false},
		{"::1.2.3", [16]byte{}, false},
	}
	for _, tt := range tests {
		got, ok := parseIPv6(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseIPv6(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// No URL may panic sexton, and whatever parses has an address to try.
func FuzzParseProbeURL(f *testing.F) {
	for _, s := range []string{"tcp://127.0.0.1:1", "http://[::ffff:1.2.3.4]:8080/x?y#z", "http://localhost", "http://", "tcp://[]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parseProbeURL("--probe", s); err == nil && len(p.addrs) == 0 {
			t.Errorf("parseProbeURL(%q) gave no address", s)
		}
	})
}
