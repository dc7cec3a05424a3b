package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// benchRuns is how many runs the runs benchmarks store: issue 15 asks
// that 100,000 export without being loaded at once, and that the search
// and its count stay quick at that size.
const benchRuns = 100_000

// BenchmarkRuns100k measures, on each database, over one automation of
// 100,000 runs (and a second automation of 10,000 that must not slow it
// down): the count the runs list shows on each load and live refresh,
// without a filter, by status and by a name search; a page of a name
// search; and the CSV export of all 100,000, with the heap it holds.
//
//	go test -run XXX -bench Runs100k -benchtime 5x ./service/
func BenchmarkRuns100k(b *testing.B) {
	for _, kind := range testdb.Kinds {
		b.Run(kind, func(b *testing.B) {
			env := testenv.New(b, testenv.Options{Database: kind})
			ctx := context.Background()
			auto := seedRuns(b, env, benchRuns)
			seedRuns(b, env, benchRuns/10)
			if kind == "postgres" {
				// Statistics, as autovacuum takes them on a table in use.
				if err := storetest.Analyze(ctx, env.Store); err != nil {
					b.Fatal(err)
				}
			}
			counts := []struct {
				name string
				f    autocred.RunFilter
			}{
				{"count-all", autocred.RunFilter{}},
				{"count-failed", autocred.RunFilter{Status: autocred.RunFailed}},
				{"count-name", autocred.RunFilter{Contact: "lovelace 4242"}},
				{"count-email-domain", autocred.RunFilter{Contact: "@example.org"}},
				{"count-march", autocred.RunFilter{EnteredFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), EnteredBefore: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}},
			}
			for _, c := range counts {
				b.Run(c.name, func(b *testing.B) {
					f := c.f
					f.AutomationID = auto
					for b.Loop() {
						if _, err := env.Service.CountRuns(ctx, f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("page-name", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := env.Service.Runs(ctx, autocred.RunFilter{AutomationID: auto, Contact: "lovelace 4242"}); err != nil {
						b.Fatal(err)
					}
				}
			})
			// The search across automations (issue 15): no automation named,
			// both automations' 110,000 runs read; the page /runs opens
			// with, then a name searched, counted and listed.
			for _, c := range []struct {
				name string
				f    autocred.RunFilter
			}{
				{"every-automation-count-all", autocred.RunFilter{}},
				{"every-automation-page-all", autocred.RunFilter{}},
				{"every-automation-count-name", autocred.RunFilter{Contact: "4242 lovelace"}},
				{"every-automation-page-name", autocred.RunFilter{Contact: "4242 lovelace"}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						var err error
						if strings.Contains(c.name, "count") {
							_, err = env.Service.CountRuns(ctx, c.f)
						} else {
							_, _, err = env.Service.Runs(ctx, c.f)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("export-all", func(b *testing.B) {
				for b.Loop() {
					w := &heapWatch{}
					runtime.GC()
					w.base = heapInUse()
					if err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: auto}, "", w); err != nil {
						b.Fatal(err)
					}
					if w.rows != benchRuns+1 {
						b.Fatalf("exported %d lines, want %d", w.rows, benchRuns+1)
					}
					b.ReportMetric(float64(w.peak-min(w.peak, w.base))/(1<<20), "peak-heap-growth-MiB")
					b.ReportMetric(float64(w.bytes)/(1<<20), "csv-MiB")
				}
			})
		})
	}
}

// seedRuns stores an automation with n issued runs, a tenth of them
// failed, entered one a minute from 1 January 2026, named "Person<i>
// Lovelace <i>" (so that a name search matches a few runs), and returns its
// id.
func seedRuns(b testing.TB, env *testenv.Env, n int) int64 {
	b.Helper()
	ctx := context.Background()
	st := env.Store
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "https://acme.api-us1.com", SecretHint: "…abcd"}
	cert := autocred.Connection{App: autocred.AppCertifier, Name: "Cert", APIURL: "https://api.certifier.io/v1", SecretHint: "…wxyz"}
	for _, c := range []*autocred.Connection{&ac, &cert} {
		if err := st.CreateConnection(ctx, c, env.Box.Seal("key-0123456789abcdef")); err != nil {
			b.Fatal(err)
		}
	}
	a := autocred.Automation{Name: "Bench", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "1", SegmentName: "Done"},
		Action: autocred.Action{ConnectionID: cert.ID, GroupID: "g", GroupName: "Course", RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true}}
	if err := st.CreateAutomation(ctx, &a); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 5000
	for from := 0; from < n; from += batch {
		runs := make([]*autocred.Run, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			status := autocred.RunIssued
			if i%10 == 0 {
				status = autocred.RunFailed
			}
			email := fmt.Sprintf("person%d@example.org", i)
			runs = append(runs, &autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(i + 1), Entry: 1, Email: email, Status: status,
				Contact:   autocred.Contact{ID: autocred.ContactID(i + 1), Email: email, FirstName: fmt.Sprintf("Person%d", i), LastName: fmt.Sprintf("Lovelace %d", i)},
				CreatedAt: start.Add(time.Duration(i) * time.Minute)})
		}
		err := storetest.InsertRuns(ctx, st, runs)
		if err != nil {
			b.Fatal(err)
		}
	}
	return a.ID
}

// heapWatch is an io.Writer that drops what is written, counting lines,
// and samples the heap in use every 256 KiB written.
type heapWatch struct {
	base, peak  uint64
	bytes, next int
	rows        int
}

func (w *heapWatch) Write(p []byte) (int, error) {
	w.bytes += len(p)
	w.rows += bytes.Count(p, []byte("\n"))
	if w.bytes >= w.next {
		w.next = w.bytes + 256<<10
		w.peak = max(w.peak, heapInUse())
	}
	return io.Discard.Write(p)
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
