// Command vulndb builds a Go vulnerability database in the v1 layout that
// govulncheck reads with -db file:///DIR, from the OSV entries that the
// golang.org/x/vulndb module ships in data/osv. scripts/govulncheck runs it,
// so that govulncheck works without reaching vuln.go.dev.
//
// It writes, under -out:
//
//	index/db.json       {"modified": time}
//	index/modules.json  [{"path": module, "vulns": [{"id", "modified"}]}]
//	index/vulns.json    [{"id", "modified", "aliases"}]
//	ID/<id>.json        each OSV entry, byte for byte
//
// as described at https://go.dev/security/vuln/database#api. The entries in
// the module have no modification time (the real database takes it from
// the repository's history, which a module zip has not), so -modified (the
// time of the vulndb commit) stands in for it. The optional "fixed" field
// of modules.json is left out: it only lets govulncheck skip reading an
// entry, and leaving it out can never hide one.
//
// The database is written to a temporary folder beside -out and renamed
// into place, so that an interrupted build is never used.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

func main() {
	osvDir := flag.String("osv", "", "folder of OSV entries, GO-YYYY-NNNN.json (data/osv of golang.org/x/vulndb)")
	out := flag.String("out", "", "folder to write the database to; it must not exist")
	modified := flag.String("modified", "", "RFC 3339 time of the vulndb snapshot, used where an entry has none")
	flag.Parse()
	if *osvDir == "" || *out == "" || *modified == "" {
		flag.Usage()
		os.Exit(2)
	}
	snapshot, err := time.Parse(time.RFC3339, *modified)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb: -modified:", err)
		os.Exit(2)
	}
	n, err := build(*osvDir, *out, snapshot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
	fmt.Printf("vulndb: %d entries written to %s\n", n, *out)
}

// entry is what the index needs of an OSV entry.
type entry struct {
	ID       string     `json:"id"`
	Modified time.Time  `json:"modified"`
	Aliases  []string   `json:"aliases"`
	Affected []affected `json:"affected"`
}

type affected struct {
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// build writes the database for the entries in osvDir to out and returns
// how many entries it holds.
func build(osvDir, out string, snapshot time.Time) (int, error) {
	if _, err := os.Stat(out); err == nil {
		return 0, fmt.Errorf("%s exists already", out)
	}
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no OSV entries (*.json) in %s", osvDir)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for _, d := range []string{"index", "ID"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return 0, err
		}
	}

	modules := map[string]*module{}
	var vulns []vuln
	dbModified := snapshot
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(data, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if e.ID == "" || filepath.Base(f) != e.ID+".json" {
			return 0, fmt.Errorf("%s holds entry %q: an entry must be in <id>.json", f, e.ID)
		}
		if len(e.Affected) == 0 {
			return 0, fmt.Errorf("%s: no affected module", f)
		}
		mod := e.Modified
		if mod.IsZero() {
			mod = snapshot
		}
		if mod.After(dbModified) {
			dbModified = mod
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: mod, Aliases: e.Aliases})
		seen := map[string]bool{}
		for _, a := range e.Affected {
			path := a.Package.Name
			if path == "" {
				return 0, fmt.Errorf("%s: an affected package has no name", f)
			}
			if seen[path] {
				continue
			}
			seen[path] = true
			m := modules[path]
			if m == nil {
				m = &module{Path: path}
				modules[path] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: mod})
		}
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), data, 0o644); err != nil {
			return 0, err
		}
	}

	mods := make([]*module, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })
	for name, v := range map[string]any{
		"db.json":      dbMeta{Modified: dbModified},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		data, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(tmp, "index", name), data, 0o644); err != nil {
			return 0, err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if _, statErr := os.Stat(filepath.Join(out, "index", "modules.json")); statErr == nil {
			return len(files), nil // another build of the same database won the race
		}
		return 0, err
	}
	return len(files), nil
}
