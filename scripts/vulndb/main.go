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
	tmp, err := makeTemp(out)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed

	idx := index{modules: map[string]*module{}, modified: snapshot}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		e, err := parseEntry(f, data)
		if err != nil {
			return 0, err
		}
		idx.add(e, snapshot)
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), data, 0o644); err != nil {
			return 0, err
		}
	}
	if err := idx.write(filepath.Join(tmp, "index")); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		if _, statErr := os.Stat(filepath.Join(out, "index", "modules.json")); statErr == nil {
			return len(files), nil // another build of the same database won the race
		}
		return 0, err
	}
	return len(files), nil
}

// makeTemp makes the temporary folder beside out that the database is
// written to, with its index and ID folders.
func makeTemp(out string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return "", err
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
	}
	return tmp, nil
}

// parseEntry reads the OSV entry in file f, refusing one the index could
// not describe.
func parseEntry(f string, data []byte) (entry, error) {
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return entry{}, fmt.Errorf("%s: %w", f, err)
	}
	if e.ID == "" || filepath.Base(f) != e.ID+".json" {
		return entry{}, fmt.Errorf("%s holds entry %q: an entry must be in <id>.json", f, e.ID)
	}
	if len(e.Affected) == 0 {
		return entry{}, fmt.Errorf("%s: no affected module", f)
	}
	for _, a := range e.Affected {
		if a.Package.Name == "" {
			return entry{}, fmt.Errorf("%s: an affected package has no name", f)
		}
	}
	return e, nil
}

// index is what the three index files say, gathered entry by entry.
type index struct {
	modules  map[string]*module // by module path
	vulns    []vuln
	modified time.Time // the latest modification of any entry
}

// add counts entry e in the index; an entry without a modification time
// takes the snapshot's.
func (x *index) add(e entry, snapshot time.Time) {
	mod := e.Modified
	if mod.IsZero() {
		mod = snapshot
	}
	if mod.After(x.modified) {
		x.modified = mod
	}
	x.vulns = append(x.vulns, vuln{ID: e.ID, Modified: mod, Aliases: e.Aliases})
	seen := map[string]bool{}
	for _, a := range e.Affected {
		path := a.Package.Name
		if seen[path] {
			continue
		}
		seen[path] = true
		m := x.modules[path]
		if m == nil {
			m = &module{Path: path}
			x.modules[path] = m
		}
		m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: mod})
	}
}

// write writes db.json, modules.json and vulns.json to dir, each sorted
// so that the same entries always make the same files.
func (x *index) write(dir string) error {
	mods := make([]*module, 0, len(x.modules))
	for _, m := range x.modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	sort.Slice(x.vulns, func(i, j int) bool { return x.vulns[i].ID < x.vulns[j].ID })
	for name, v := range map[string]any{
		"db.json":      dbMeta{Modified: x.modified},
		"modules.json": mods,
		"vulns.json":   x.vulns,
	} {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
