package web

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/autocred/autocred"
)

// The templates name statuses by their spelling (html/template cannot
// name a Go constant), so a misspelt one would silently show 0 or never
// match: every status a template names must be one the code has.
func TestTemplatesNameOnlyRealStatuses(t *testing.T) {
	t.Parallel()
	valid := map[string]bool{}
	for _, s := range autocred.RunStatuses {
		valid[string(s)] = true
	}
	for _, s := range []autocred.ConnectionStatus{autocred.ConnectionOK, autocred.ConnectionBroken} {
		valid[string(s)] = true
	}
	named := regexp.MustCompile(`(?:Count|eq \.Status) "([^"]*)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	seen := 0
	for _, f := range files {
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range named.FindAllStringSubmatch(string(b), -1) {
			seen++
			if !valid[m[1]] {
				t.Errorf("%s names the status %q, which no run or connection has", f, m[1])
			}
		}
	}
	if seen == 0 {
		t.Error("found no status named in the templates: the pattern no longer matches how they name them")
	}
}
