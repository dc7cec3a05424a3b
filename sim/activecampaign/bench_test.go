package activecampaign_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

const million = 1_000_000

// BenchmarkImport1M imports a million sample contacts and reports the heap
// in use afterwards.
func BenchmarkImport1M(b *testing.B) {
	for range b.N {
		srv := simac.New(simac.Options{Seed: 1})
		if err := srv.AddAccount("acme", "k"); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := srv.SeedSample("acme", million); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-import")
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
		runtime.KeepAlive(srv)
		srv.Close()
	}
}

// BenchmarkSegmentMatchPage10k reads 10,000-id pages of a ready run over a
// segment of a million contacts, over HTTP.
func BenchmarkSegmentMatchPage10k(b *testing.B) {
	srv := simac.New(simac.Options{RatePerSecond: -1, MatchRunDelay: -1})
	defer srv.Close()
	if err := srv.AddAccount("acme", "k"); err != nil {
		b.Fatal(err)
	}
	in := make([]simac.ContactInput, million)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("c%d@example.com", i), Tags: []string{"In"}}
	}
	if _, err := srv.Import("acme", in); err != nil {
		b.Fatal(err)
	}
	in = nil
	seg, err := srv.DefineSegment("acme", simac.SegmentDef{Name: "all", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "In"}}})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+"/acme/api/3"+path, nil)
		req.Header.Set("Api-Token", "k")
		res, err := ts.Client().Do(req)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%s: %v %v", path, err, res)
		}
		return res
	}
	start := time.Now()
	var run struct {
		Data []struct {
			Attributes struct {
				RunID string `json:"run_id"`
			} `json:"attributes"`
		} `json:"data"`
	}
	res := get("/segmentMatchAll/" + seg.ID + "?page_size=1")
	if err := decodeJSON(res, &run); err != nil {
		b.Fatal(err)
	}
	runStart := time.Since(start)
	start = time.Now()
	get("/segmentMatchAll/" + seg.ID + "?page_size=1&sort=-udate").Body.Close()
	runStartUdate := time.Since(start)
	b.ResetTimer()
	for i := range b.N {
		res := get(fmt.Sprintf("/segmentMatchSome/%s/%s?page_size=10000&page=%d", seg.ID, run.Data[0].Attributes.RunID, i%100+1))
		var page struct {
			Data []struct {
				Attributes struct {
					Matches []int64 `json:"matches"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if err := decodeJSON(res, &page); err != nil || len(page.Data[0].Attributes.Matches) != 10000 {
			b.Fatalf("page: %v", err)
		}
	}
	b.ReportMetric(float64(runStart.Milliseconds()), "ms-run-start")
	b.ReportMetric(float64(runStartUdate.Milliseconds()), "ms-run-start-udate") // autocred's order
}
