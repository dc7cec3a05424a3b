package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// chaosProgress is how far a batch of n entries has got, from 0 to 1: half
// for the runs created (the sync's entering), half for the runs finished
// (the issue jobs), so that the kills of the R9 test can fall in either.
func chaosProgress(w *world, automationID int64, n int) float64 {
	w.t.Helper()
	a := w.automationNow(automationID)
	created := 0
	for _, k := range a.Runs {
		created += k
	}
	finished := created - a.Runs["pending"]
	return float64(created+finished) / float64(2*n)
}

// countsLine writes a map of counts as "a 1, b 2", sorted by key, for logs.
func countsLine(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// snapshotTap sits between autocred and the ActiveCampaign sandbox and sees
// every segment-match snapshot autocred reads: the member ids of each run,
// fixed by the sandbox when the run started, exactly as autocred receives
// them. Other requests pass through untouched.
//
// during is called (with the tap's lock held) once per snapshot, after the
// sandbox has fixed and answered it and before autocred has the answer:
// what it changes in the sandbox happens while the snapshot is being read,
// and shows only in the next one.
//
// The tap reads single-page snapshots only (up to 10,000 members, one page
// of autocred's reads) and must not be used with fault rules on the
// segment-match endpoints: it answers autocred itself, after the sandbox.
type snapshotTap struct {
	w      *world
	mu     sync.Mutex
	runs   map[string]bool // run ids already recorded
	snaps  [][]int64       // in the order autocred received them
	errs   []string
	during func(snapshot int, members []int64)
}

// tapSnapshots puts a snapshotTap in front of the world's ActiveCampaign
// sandbox. It must be called before connect: the connection is made with
// the tap's URL.
func tapSnapshots(w *world) *snapshotTap {
	tp := &snapshotTap{w: w, runs: map[string]bool{}}
	srv := httptest.NewServer(tp)
	// autocred stops before the tap closes, so that it never sees the
	// tap gone (stop is a no-op for the world's own cleanup after this).
	w.t.Cleanup(func() { w.stop(); srv.Close() })
	w.acURL = srv.URL + "/" + acAccount
	return tp
}

func (tp *snapshotTap) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/api/3/segmentMatchAll/") {
		tp.w.ac.ServeHTTP(rw, r)
		return
	}
	rec := httptest.NewRecorder()
	tp.w.ac.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		tp.record(rec.Body.Bytes())
	}
	for k, v := range rec.Header() {
		rw.Header()[k] = v
	}
	rw.WriteHeader(rec.Code)
	_, _ = rw.Write(rec.Body.Bytes())
}

// record keeps the ids of a run the first time an answer shows it ready,
// and calls during.
func (tp *snapshotTap) record(body []byte) {
	var resp struct {
		Data []struct {
			Attributes struct {
				RunID   string  `json:"run_id"`
				IsReady bool    `json:"is_ready"`
				Matches []int64 `json:"matches"`
				Page    struct {
					LastPage int `json:"last_page"`
					Total    int `json:"total"`
				} `json:"page"`
			} `json:"attributes"`
		} `json:"data"`
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Data) != 1 {
		tp.errs = append(tp.errs, fmt.Sprintf("segment-match answer the tap cannot read (%v): %.200s", err, body))
		return
	}
	at := resp.Data[0].Attributes
	if !at.IsReady || tp.runs[at.RunID] {
		return
	}
	tp.runs[at.RunID] = true
	if at.Page.LastPage != 1 || len(at.Matches) != at.Page.Total {
		tp.errs = append(tp.errs, fmt.Sprintf("run %s has %d members on %d pages; the tap reads one page", at.RunID, at.Page.Total, at.Page.LastPage))
		return
	}
	ids := slices.Sorted(slices.Values(at.Matches))
	tp.snaps = append(tp.snaps, ids)
	if tp.during != nil {
		tp.during(len(tp.snaps)-1, ids)
	}
}

// snapshots returns the snapshots seen so far, the first being the
// baseline, and the errors of the tap.
func (tp *snapshotTap) snapshots() ([][]int64, []string) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return slices.Clone(tp.snaps), slices.Clone(tp.errs)
}

// ledgerEntries applies the rules of DESIGN §3 to a sequence of complete
// snapshots, the first of which is the baseline, and counts per contact:
//
//   - recorded: the entries the product records, each a credential. A
//     contact enters when a snapshot has it and the ledger has it out: it
//     was not in the baseline, or its absence was confirmed by two
//     consecutive complete snapshots. A contact that leaves and is back
//     before a second snapshot confirms the absence has not left.
//   - promised: the recorded entries after which the contact was still in
//     the next complete snapshot too, so seen in two complete snapshots.
//     These are what the product promises never to miss, whatever the
//     timing of the syncs; an entry seen in one snapshot only (the contact
//     left again at once) is recorded as well, but a timing that reads the
//     segment less often could rightly miss it.
func ledgerEntries(snaps [][]int64) (recorded, promised map[int64]int) {
	sets := make([]map[int64]bool, len(snaps))
	all := map[int64]bool{}
	for i, s := range snaps {
		sets[i] = map[int64]bool{}
		for _, id := range s {
			sets[i][id] = true
			all[id] = true
		}
	}
	recorded, promised = map[int64]int{}, map[int64]int{}
	for id := range all {
		in, misses := len(sets) > 0 && sets[0][id], 0
		for k := 1; k < len(sets); k++ {
			switch {
			case sets[k][id]:
				if !in {
					in = true
					recorded[id]++
					if k+1 < len(sets) && sets[k+1][id] {
						promised[id]++
					}
				}
				misses = 0
			case in:
				misses++
				if misses == 2 {
					in, misses = false, 0
				}
			}
		}
	}
	return recorded, promised
}
