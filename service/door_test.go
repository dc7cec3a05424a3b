package service_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// The service is the one door of the REST API and the web UI: they reach
// the store, the engine and the accounts' clients only through it, so
// that every rule is applied once, whichever of them a user goes through.
func TestAPIAndWebGoThroughTheService(t *testing.T) {
	forbidden := []string{
		"github.com/autocred/autocred/store",
		"github.com/autocred/autocred/engine",
		"github.com/autocred/autocred/internal/accounts",
	}
	for _, dir := range []string{"../api", "../web"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, name := range files {
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range forbidden {
					if path == bad {
						t.Errorf("%s imports %s: call the service instead", name, path)
					}
				}
			}
		}
	}
}
