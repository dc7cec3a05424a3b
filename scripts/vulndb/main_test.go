package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two entries as data/osv holds them: no modification time, one of them
// about two modules, one module named twice.
const (
	netEntry = `{"schema_version":"1.3.1","id":"GO-2023-2102","modified":"0001-01-01T00:00:00Z","published":"0001-01-01T00:00:00Z",
"aliases":["CVE-2023-39325","GHSA-4374-p667-p6c8"],"summary":"HTTP/2 rapid reset",
"affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.20.10"}]}]},
{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.17.0"}]}]},
{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.18.0"},{"fixed":"0.18.1"}]}]}]}`
	textEntry = `{"id":"GO-2021-0113","modified":"2024-05-20T16:03:47Z","published":"0001-01-01T00:00:00Z",
"affected":[{"package":{"name":"golang.org/x/text","ecosystem":"Go"}}]}`
)

func writeEntries(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBuild(t *testing.T) {
	osv := writeEntries(t, map[string]string{"GO-2023-2102.json": netEntry, "GO-2021-0113.json": textEntry,
		"GO-2021-0113.yaml": "not an entry", "README.md": "ignored"})
	out := filepath.Join(t.TempDir(), "db", "v1")
	snapshot := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)
	n, err := build(osv, out, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	tests := []struct{ file, want string }{
		{"index/db.json", `{"modified":"2026-11-05T23:49:57Z"}`},
		{"index/modules.json", `[` +
			`{"path":"golang.org/x/net","vulns":[{"id":"GO-2023-2102","modified":"2026-11-05T23:49:57Z"}]},` +
			`{"path":"golang.org/x/text","vulns":[{"id":"GO-2021-0113","modified":"2024-05-20T16:03:47Z"}]},` +
			`{"path":"stdlib","vulns":[{"id":"GO-2023-2102","modified":"2026-11-05T23:49:57Z"}]}]`},
		{"index/vulns.json", `[{"id":"GO-2021-0113","modified":"2024-05-20T16:03:47Z"},` +
			`{"id":"GO-2023-2102","modified":"2026-11-05T23:49:57Z","aliases":["CVE-2023-39325","GHSA-4374-p667-p6c8"]}]`},
		{"ID/GO-2023-2102.json", netEntry}, // byte for byte
		{"ID/GO-2021-0113.json", textEntry},
	}
	for _, tt := range tests {
		if got := read(t, filepath.Join(out, tt.file)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.file, got, tt.want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(out, "ID"))
	if len(entries) != 2 {
		t.Errorf("ID/ holds %d files, want 2", len(entries))
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary folders left: %v", leftovers)
	}

	if _, err := build(osv, out, snapshot); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("building over an existing database: %v, want an error", err)
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no entries", map[string]string{"README.md": "x"}, "no OSV entries"},
		{"not JSON", map[string]string{"GO-2021-0113.json": "{"}, "GO-2021-0113.json"},
		{"wrong file name", map[string]string{"GO-2021-0001.json": textEntry}, "must be in <id>.json"},
		{"no module", map[string]string{"GO-2021-0113.json": `{"id":"GO-2021-0113"}`}, "no affected module"},
		{"no module name", map[string]string{"GO-2021-0113.json": `{"id":"GO-2021-0113","affected":[{"package":{}}]}`}, "no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "db")
			_, err := build(writeEntries(t, tt.files), out, time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a database was written from bad input")
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}
