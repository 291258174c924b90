package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's option table from the option table")

// README's option table is the option table: a row added, renamed or
// reworded in flags.go fails this test until README says the same
// (go test -run TestREADMEOptions -update-readme . writes it).
func TestREADMEOptions(t *testing.T) {
	const begin, end = "<!-- options: generated from flags.go by TestREADMEOptions -->\n", "<!-- end of options -->\n"
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no option table between %q and %q", begin, end)
	}
	want := markdownOptions()
	if got := readme[i+len(begin) : j]; got != want {
		if *updateREADME {
			readme = readme[:i+len(begin)] + want + readme[j:]
			if err := os.WriteFile("README.md", []byte(readme), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's option table differs from flags.go's; want:\n%s", want)
	}
}

// markdownOptions is the option table as README shows it.
func markdownOptions() string {
	var b strings.Builder
	b.WriteString("| option | variable | default | meaning |\n|---|---|---|---|\n")
	for _, o := range options {
		names := "`" + strings.TrimSpace(o.names()) + "`"
		env, def := "", o.def
		if o.env != "" {
			env = "`" + o.env + "`"
		}
		switch o.kind {
		case onOff:
			if o.env != "" {
				env += " (yes/no)"
				def = "no"
			}
		case level:
			names += " (repeatable)"
			env += " (0-2)"
			def = "0"
		case valueSet:
			env += " (comma-separated)"
		}
		if def == "" && o.env != "" {
			def = "none"
		}
		b.WriteString("| " + names + " | " + env + " | " + def + " | " + o.help + " |\n")
	}
	return b.String()
}

// --help lists every option of the table, with its variable.
func TestUsageListsEveryOption(t *testing.T) {
	u := usage()
	for _, o := range options {
		if !strings.Contains(u, "  "+o.names()+"\n") {
			t.Errorf("--help has no line for %s", o.names())
		}
		if o.env != "" && !strings.Contains(strings.Join(strings.Fields(u), " "), "variable "+o.env) {
			t.Errorf("--help does not name %s", o.env)
		}
	}
	for _, line := range strings.Split(u, "\n") {
		if len(line) > 80 {
			t.Errorf("--help line longer than 80 columns: %q", line)
		}
	}
}
