package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
)

// flushHook is a download that calls onFlush after each page written.
type flushHook struct {
	bytes.Buffer
	onFlush func()
}

func (f *flushHook) Flush() {
	if f.onFlush != nil {
		f.onFlush()
		f.onFlush = nil
	}
}

// An export reads page after page: a history deleted between two pages
// must not pass for a complete file (the tester's 50,000-run download
// ended, well formed, at 8,500 rows).
func TestExportCutShortByADeletedHistoryIsAnError(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	id := seedRuns(t, env, 1200) // three pages
	if _, err := env.Service.ArchiveAutomation(ctx, id); err != nil {
		t.Fatal(err)
	}
	out := &flushHook{onFlush: func() {
		if _, err := env.Service.DeleteRunHistory(ctx, id); err != nil {
			t.Error(err)
		}
	}}
	err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: id}, out)
	if err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("export whose history was deleted halfway: %v, want an error saying the file is incomplete", err)
	}

	// Without it, every run, once.
	id = seedRuns(t, env, 1200)
	var full bytes.Buffer
	if err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: id}, &full); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&full).ReadAll()
	if err != nil || len(rows) != 1201 {
		t.Errorf("export of 1,200 runs: %d rows, %v; want a header and 1,200", len(rows), err)
	}
}
