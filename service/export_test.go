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
	err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: id}, "", out)
	if err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("export whose history was deleted halfway: %v, want an error saying the file is incomplete", err)
	}

	// Without it, every run, once.
	id = seedRuns(t, env, 1200)
	var full bytes.Buffer
	if err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: id}, "", &full); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&full).ReadAll()
	if err != nil || len(rows) != 1201 {
		t.Errorf("export of 1,200 runs: %d rows, %v; want a header and 1,200", len(rows), err)
	}
}

// An export's times are in the zone asked for, ISO 8601 with the offset,
// and the time columns' headers name it; without a zone they are UTC under
// their plain names; a zone that is none is refused, naming the input.
func TestExportTimesInAZone(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	id := seedRuns(t, env, 1) // entered 2026-01-01 00:00 UTC
	for _, tc := range []struct {
		tz, header, entered string
	}{
		{"", "entered_at", "2026-01-01T00:00:00Z"},
		{"UTC", "entered_at (UTC)", "2026-01-01T00:00:00Z"},
		{"Asia/Tokyo", "entered_at (Asia/Tokyo)", "2026-01-01T09:00:00+09:00"},
		{"America/Chicago", "entered_at (America/Chicago)", "2025-12-31T18:00:00-06:00"},
	} {
		var out bytes.Buffer
		if err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: id}, tc.tz, &out); err != nil {
			t.Fatalf("tz %q: %v", tc.tz, err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("tz %q: %d rows, %v", tc.tz, len(rows), err)
		}
		if rows[0][1] != tc.header || rows[1][1] != tc.entered {
			t.Errorf("tz %q: column %q holds %q, want %q holding %q", tc.tz, rows[0][1], rows[1][1], tc.header, tc.entered)
		}
		if last := len(rows[0]) - 1; !strings.HasPrefix(rows[0][last], "updated_at") || strings.TrimPrefix(rows[0][last], "updated_at") != strings.TrimPrefix(tc.header, "entered_at") {
			t.Errorf("tz %q: the last column is %q, want updated_at in the same zone", tc.tz, rows[0][last])
		}
	}
	err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: id}, "Mars/Olympus", &bytes.Buffer{})
	if autocred.ErrorCode(err) != autocred.EINVALID || !strings.Contains(err.Error(), "tz") {
		t.Errorf("a zone that is none: %v, want invalid tz", err)
	}
}
