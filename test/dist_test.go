package test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// make dist builds a static binary per architecture with SHA-256 sums; each
// is an ELF for its machine with no interpreter and no shared library, and
// the arm64 one runs (--version) under qemu-user when it is installed.
func TestDist(t *testing.T) {
	dir := t.TempDir()
	if err := makeTarget("dist", "DIST="+dir); err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{
		"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "riscv64": elf.EM_RISCV,
		"ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390,
	}
	for arch, want := range machines {
		path := filepath.Join(dir, "sexton-linux-"+arch)
		f, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s: %v", arch, err)
			continue
		}
		if f.Machine != want {
			t.Errorf("%s: ELF machine %v; want %v", arch, f.Machine, want)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s: has a %v program header; want a static binary", arch, p.Type)
			}
		}
		f.Close()
	}
	sums := exec.Command("sha256sum", "-c", "SHA256SUMS")
	sums.Dir = dir
	if out, err := sums.CombinedOutput(); err != nil || strings.Count(string(out), ": OK") != len(machines) {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}

	version := regexp.MustCompile(`^sexton version \S+ - git\.\S+\n$`)
	out, err := exec.Command(filepath.Join(dir, "sexton-linux-amd64"), "--version").Output()
	if err != nil || !version.Match(out) {
		t.Errorf("amd64 --version = %q, %v; want one line like 'sexton version X - git.C'", out, err)
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	need(t, "qemu-aarch64-static (Debian's qemu-user-static), to run the arm64 binary", err == nil)
	out, err = exec.Command(qemu, filepath.Join(dir, "sexton-linux-arm64"), "--version").Output()
	if err != nil || !version.Match(out) {
		t.Errorf("arm64 --version under qemu = %q, %v", out, err)
	}
}

// The Dockerfile builds with the Makefile's one build command, so the image
// holds the same binary the tests check; and ships it as /sexton with the
// documented entrypoint.
func TestDockerfileUsesMakefile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "RUN ") {
			runs = append(runs, strings.TrimPrefix(line, "RUN "))
		}
	}
	for _, r := range runs {
		if strings.Contains(r, "go build") {
			t.Errorf("Dockerfile runs its own go build (%q); use make build", r)
		}
	}
	if !strings.Contains(string(b), "RUN make build BIN=/sexton") {
		t.Errorf("Dockerfile does not build with 'make build BIN=/sexton': %q", runs)
	}
	if !strings.Contains(string(b), `ENTRYPOINT ["/sexton", "--"]`) {
		t.Errorf(`Dockerfile lacks ENTRYPOINT ["/sexton", "--"]`)
	}
}

// The signal handler is assembly, one file per architecture: reaper's
// tests of it (real-time counts, faults left to the runtime, handlers
// given back) run on each of the other four under qemu-user, which builds
// each architecture's signal frames as its kernel does.
func TestCatcherOtherArches(t *testing.T) {
	qemu := map[string]string{"arm64": "aarch64", "riscv64": "riscv64", "ppc64le": "ppc64le", "s390x": "s390x"}
	dir := t.TempDir()
	for _, arch := range []string{"arm64", "riscv64", "ppc64le", "s390x"} {
		t.Run(arch, func(t *testing.T) {
			emu, err := exec.LookPath("qemu-" + qemu[arch] + "-static")
			need(t, "qemu-"+qemu[arch]+"-static (Debian's qemu-user-static)", err == nil)
			exe := filepath.Join(dir, "reaper-"+arch+".test")
			build := exec.Command("go", "test", "-c", "-o", exe, "../reaper")
			build.Env = append(os.Environ(), "GOARCH="+arch, "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go test -c for %s: %v\n%s", arch, err, out)
			}
			out, err := exec.Command(emu, exe, "-test.run=^TestListen", "-test.v", "-test.timeout=60s").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "\nPASS\n") {
				t.Errorf("reaper's TestListen* on %s under qemu: %v\n%s", arch, err, out)
			}
			if n := strings.Count(string(out), "--- PASS: TestListen"); n != 6 {
				t.Errorf("%d TestListen tests passed on %s; want 6\n%s", n, arch, out)
			}
		})
	}
}

// The release binary stays within its size budget, 1.8 MiB: every page of
// an init's binary is resident for the container's life. A standard
// library call that brings os.FileInfo or a boxed time.Time brings time's
// formatting and zone loading too (about 53 KiB), which this catches.
func TestBinarySize(t *testing.T) {
	const budget = 18 * 1024 * 1024 / 10 // 1.8 MiB
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > budget {
		t.Errorf("release binary is %d bytes; the budget is %d (1.8 MiB)", st.Size(), int64(budget))
	}
	t.Logf("release binary: %d bytes (%.2f MiB)", st.Size(), float64(st.Size())/(1<<20))
}
