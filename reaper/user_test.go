package reaper

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestResolveUser(t *testing.T) {
	passwd := []byte(`# comment
root:x:0:0:root:/root:/bin/sh
+nis
app:x:1000:1000::/home/app:/bin/sh
nohome:x:1001:1001:::/bin/sh
bad:x:12a:1::/:/bin/sh
short:x:5
`)
	group := []byte(`root:x:0:
app:x:1000:
audio:x:29:app,other
video:x:44:other
wheel:x:10:app
dup:x:1000:app
`)
	tests := []struct {
		spec    string
		want    identity
		wantErr string // substring of the error; "" means none
	}{
		{"app", identity{1000, 1000, []uint32{1000, 29, 10}, "/home/app"}, ""},
		{"1000", identity{1000, 1000, []uint32{1000, 29, 10}, "/home/app"}, ""},
		{"app:audio", identity{1000, 29, []uint32{29}, "/home/app"}, ""},
		{"app:44", identity{1000, 44, []uint32{44}, "/home/app"}, ""},
		{"root", identity{0, 0, []uint32{0}, "/root"}, ""},
		{"nohome", identity{1001, 1001, []uint32{1001}, "/"}, ""},
		{"4242", identity{4242, 0, []uint32{0}, "/"}, ""},
		{"4242:4343", identity{4242, 4343, []uint32{4343}, "/"}, ""},
		{"4294967294", identity{4294967294, 0, []uint32{0}, "/"}, ""},
		{"nobody", identity{}, "no user nobody in /etc/passwd"},
		{"app:nogroup", identity{}, "no group nogroup in /etc/group"},
		{"bad", identity{}, "bad uid or gid"},
		{"short", identity{}, "no user short"},
		{"4294967295", identity{}, "out of range"},
		{"99999999999", identity{}, "out of range"},
		{"1:4294967295", identity{}, "out of range"},
		{"", identity{}, "USER or USER:GROUP"},
		{":0", identity{}, "USER or USER:GROUP"},
		{"app:", identity{}, "USER or USER:GROUP"},
	}
	for _, tt := range tests {
		got, err := resolveUser(tt.spec, passwd, nil, group, nil)
		if tt.wantErr != "" {
			var ue *UserError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
				t.Errorf("resolveUser(%q) err = %v; want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.uid != tt.want.uid || got.gid != tt.want.gid || !slices.Equal(got.groups, tt.want.groups) || got.home != tt.want.home {
			t.Errorf("resolveUser(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
}

// A scratch image has neither file: numbers work, names say what to do.
func TestResolveUserNoFiles(t *testing.T) {
	got, err := resolveUser("1000:1000", nil, unix.ENOENT, nil, unix.ENOENT)
	if err != nil || got.uid != 1000 || got.gid != 1000 || !slices.Equal(got.groups, []uint32{1000}) || got.home != "/" {
		t.Errorf("resolveUser(1000:1000) = %+v, %v; want 1000/1000, groups [1000], home /", got, err)
	}
	for _, spec := range []string{"app", "1000:app"} {
		if _, err := resolveUser(spec, nil, unix.ENOENT, nil, unix.ENOENT); err == nil || !strings.Contains(err.Error(), "cannot read") || !strings.Contains(err.Error(), "numeric") {
			t.Errorf("resolveUser(%q) without files err = %v; want cannot read ... numeric", spec, err)
		}
	}
}

// No image's passwd or group file, and no --user value, may panic sexton.
func FuzzResolveUser(f *testing.F) {
	f.Add("app:audio", "app:x:1000:1000::/home/app:/bin/sh\n", "audio:x:29:app\n")
	f.Add("1000", "x:x:1000:y:::\n", "::::\n")
	f.Fuzz(func(t *testing.T, spec, passwd, group string) {
		resolveUser(spec, []byte(passwd), nil, []byte(group), nil)
	})
}
