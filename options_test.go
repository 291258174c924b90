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
		switch {
		case o.kind == level:
			names += " (repeatable)"
			env += " (0-2)"
			def = "0"
		case o.env == "":
		case o.kind == onOff:
			env += " (yes/no)"
			def = "no"
		case o.kind == valueSet:
			env += " (comma-separated)"
		}
		if def == "" && o.env != "" {
			def = "none"
		}
		if o.tini != "" {
			env += "; tini's `" + o.tini + "`"
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

// README's migration table lists each tini and dumb-init flag and tini
// variable that sexton accepts: every flag in it parses, every variable is
// an option's tini variable, and every tini variable of the table of
// options is in it.
func TestREADMEMigration(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "<!-- migration: checked against flags.go by TestREADMEMigration -->\n")
	table, _, ok2 := strings.Cut(table, "<!-- end of migration -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no migration table between its markers")
	}
	// A value for each placeholder the table uses.
	sample := map[string]string{"CODE": "143", "SIG": "TERM", "s:r": "15:3"}
	vars := map[string]bool{}
	rows := 0
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[2:] {
		cols := strings.Split(line, "|")
		if len(cols) != 5 {
			t.Fatalf("malformed row %q", line)
		}
		rows++
		for _, cell := range strings.Split(cols[2], "`") {
			form := strings.TrimSpace(cell)
			switch {
			case strings.HasPrefix(form, "TINI_"):
				vars[form] = true
				if lookup(func(o *option) bool { return o.tini == form }) == nil {
					t.Errorf("README's migration table names %s, which no option reads", form)
				}
			case strings.HasPrefix(form, "-"):
				args := strings.Fields(form)
				for i, a := range args[1:] {
					if v, ok := sample[a]; ok {
						args[1+i] = v
					}
				}
				if _, err := parseArgs(append(args, "cmd"), noEnv); err != nil {
					t.Errorf("README's migration table lists %q, which sexton refuses: %v", form, err)
				}
			}
		}
	}
	for _, o := range options {
		if o.tini != "" && !vars[o.tini] {
			t.Errorf("%s is read but not in README's migration table", o.tini)
		}
	}
	if rows < 10 {
		t.Errorf("README's migration table has %d rows; want the tini and dumb-init flags", rows)
	}
}
