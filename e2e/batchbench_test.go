package e2e

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// The limits of the batch benchmark: ActiveCampaign's real one per account,
// and the Certifier sandbox's as in R8.
const (
	batchACLimit   = 5   // requests per second
	batchCertLimit = 200 // requests per second
)

// BenchmarkBatch measures a batch of N contacts entering, in one mass tag
// change, a segment that already has many members (issue #7). The members
// were tagged before the automation was activated, so they are its
// baseline and must get nothing; each of the N must get exactly one
// credential and one email. As in R8, ActiveCampaign enforces its real
// limit (5 requests/s), Certifier 200/s, and autocred runs with
// --ac-rate 4 --certifier-rate 190 --poll-interval 5s. It reports the time
// from the tag change to the last credential, the lower bound the two
// limits set for the calls the batch needs and the ratio between the two,
// the requests per credential, and autocred's peak memory. As polling
// finds the change only at the next read of the segment, it also reports
// how long the change waited for that read (read-wait-s) and the ratio
// from that read on (ratio-from-read):
//
//	AUTOCRED_BATCH_CSV_DIR=/tmp/batch go test -run XXX -bench Batch -benchtime 1x -timeout 90m ./e2e/
//	go run ./scripts/chart -o docs/batch-progress.svg /tmp/batch/batch-*.csv
//
// AUTOCRED_BATCH_SIZES (comma-separated, default 1000,10000,100000) sets the
// batches, AUTOCRED_BATCH_SEGMENT (default 200000) the members already in
// the segment. With AUTOCRED_BATCH_CSV_DIR set, each run's progress is
// written there as batch-<N>.csv, for the chart.
//
// AUTOCRED_BATCH_FIELD=1 makes the mapping use a custom field: every
// contact, member or entrant, has its own "Course name"
// (COURSE_NAME), mapped to the credential's custom.course, and each
// entrant's credential must carry its own. Its values must then be read
// too, so the bound adds the cheaper of one read per entrant and a scan
// of the field's values (100 a call; batchBound).
func BenchmarkBatch(b *testing.B) {
	sizes, err := batchSizes(os.Getenv("AUTOCRED_BATCH_SIZES"))
	if err != nil {
		b.Fatal(err)
	}
	members := envInt("AUTOCRED_BATCH_SEGMENT", 200_000)
	csvDir := os.Getenv("AUTOCRED_BATCH_CSV_DIR")
	field := os.Getenv("AUTOCRED_BATCH_FIELD") == "1"
	for _, n := range sizes {
		name := fmt.Sprintf("N=%d", n)
		if field {
			name += "/field"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				measureBatch(b, n, members, csvDir, field)
			}
		})
	}
}

// batchSizes reads AUTOCRED_BATCH_SIZES. Unlike envInt it refuses a bad
// value: silently running the default sizes could mean running the
// 100,000 batch that nobody asked for.
func batchSizes(v string) ([]int, error) {
	if strings.TrimSpace(v) == "" {
		return []int{1000, 10_000, 100_000}, nil
	}
	var sizes []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("AUTOCRED_BATCH_SIZES=%q: %q is not a positive number", v, f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

func measureBatch(b *testing.B, n, members int, csvDir string, field bool) {
	w := newWorld(b, worldOptions{
		ac:     simac.Options{RatePerSecond: batchACLimit},
		cert:   simcert.Options{RatePerSecond: batchCertLimit},
		acRate: 4, crtRate: 190, poll: 5 * time.Second,
	})
	acConn, certConn := w.connect()
	// Importing straight into the sandbox takes a fraction of a second
	// even for 300,000 contacts, so no sample data is needed.
	in := make([]simac.ContactInput, members+n)
	for i := range members {
		in[i] = contact("Member", fmt.Sprint("Baseline", i))
	}
	for i := range n {
		in[members+i] = contact("Batch", fmt.Sprint("Entrant", i))
	}
	var action map[string]any
	if field {
		w.acField("Course name", "COURSE_NAME", "text")
		must(b, w.cert.AddAttribute(workspace, "custom.course", "Course"))
		action = map[string]any{"custom_attributes": map[string]string{"custom.course": "{{contact.fields.COURSE_NAME}}"}}
		for i := range in {
			in[i].Fields = map[string]string{"COURSE_NAME": courseOf(in[i])}
		}
	}
	ids := w.importContacts(in...)
	baseline, entrants := in[:members], in[members:]
	w.tag("Completed", ids[:members]...)
	activated := time.Now()
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), action)
	baselineTook := time.Since(activated)
	if a.Baseline.Total != members {
		b.Fatalf("the baseline holds %d members, want %d", a.Baseline.Total, members)
	}
	w.ac.Gate().Reset()
	w.cert.Gate().Reset()

	bound := newBatchBound(n, members+n)
	if field {
		bound = bound.withField(members + n)
	}
	// Generous: the run is expected within a small multiple of the bound.
	timeout := time.Duration(10*bound.seconds()*float64(time.Second)) + 5*time.Minute
	b.ResetTimer()
	start := time.Now()
	w.mark("tag change")
	w.tag("Completed", ids[members:]...) // the mass tag change
	tagged := time.Now()
	// The first segment-match run started after the tag change is the
	// first read that can list the entrants (a run's snapshot takes the
	// sandbox milliseconds, so one that ends after the tag began after
	// it). Looked for while the batch goes: a segment keeps its last 16
	// runs only.
	var readFrom time.Time
	// Copying the sandbox's credentials takes tens of milliseconds at
	// 100,000 and holds the lock create-issue-send needs, so they are only
	// copied once the gate has let through enough calls to have made all.
	w.waitFor(fmt.Sprintf("%d credentials", n), timeout, func() bool {
		if readFrom.IsZero() {
			starts, err := w.ac.MatchRunStarts(acAccount)
			must(b, err)
			if i := slices.IndexFunc(starts, func(at time.Time) bool { return at.After(tagged) }); i >= 0 {
				readFrom = starts[i]
			}
		}
		return w.cert.Gate().Stats().ByEndpoint["POST /v1/credentials/create-issue-send"] >= int64(n) &&
			len(w.cert.Credentials(workspace)) >= n
	})
	b.StopTimer()
	if readFrom.IsZero() {
		b.Fatal("no segment-match run started after the tag change, yet every credential was made")
	}
	acStats, certStats := w.ac.Gate().Stats(), w.cert.Gate().Stats()
	peak := w.peakRSS()
	// The progress comes from each credential's creation time in the
	// sandbox rather than from copying its credentials every 250 ms during
	// the run, which would slow the very calls being measured.
	done := creationOffsets(w.cert.Credentials(workspace), start)
	took := time.Duration(done[len(done)-1] * float64(time.Second))

	w.settle(a.ID)
	creds, emails := w.credentials(), w.emails()
	for _, c := range entrants {
		if len(creds[c.Email]) != 1 || emails[c.Email] != 1 {
			b.Fatalf("entrant %s has %d credentials and %d emails, want 1 and 1", c.Email, len(creds[c.Email]), emails[c.Email])
		}
		if got := creds[c.Email][0].CustomAttributes["custom.course"]; field && got != courseOf(c) {
			b.Fatalf("entrant %s: custom.course %q, want %q", c.Email, got, courseOf(c))
		}
	}
	for _, c := range baseline {
		if len(creds[c.Email]) != 0 || emails[c.Email] != 0 {
			b.Fatalf("baseline member %s has %d credentials and %d emails, want none", c.Email, len(creds[c.Email]), emails[c.Email])
		}
	}
	if got := len(w.cert.Credentials(workspace)); got != n {
		b.Fatalf("%d credentials in all, want %d", got, n)
	}

	ratio := took.Seconds() / bound.seconds()
	// Polling finds a change only at the next read: the wait for it is set
	// by the poll interval (stretched to the account's budget) and by where
	// in the cycle of reads the change falls, not by the calls the batch
	// needs. From the read on, the time is the engine's.
	wait := readFrom.Sub(start)
	fromRead := took - wait
	ratioFromRead := fromRead.Seconds() / bound.seconds()
	acPer, certPer := float64(acStats.Requests)/float64(n), float64(certStats.Requests)/float64(n)
	b.ReportMetric(took.Seconds(), "s")
	b.ReportMetric(bound.seconds(), "bound-s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(wait.Seconds(), "read-wait-s")
	b.ReportMetric(ratioFromRead, "ratio-from-read")
	b.ReportMetric(acPer, "ac-requests/credential")
	b.ReportMetric(certPer, "certifier-requests/credential")
	b.ReportMetric(peak, "peak-MiB")
	b.Logf("%d contacts entering a segment of %d members (baseline taken in %s): %d credentials in %s (lower bound from the rate limits %s: max(%d ActiveCampaign calls at %d/s, %d creates at %d/s); ratio %.2f); peak memory of autocred %.0f MiB; ActiveCampaign %d requests (%.4f per credential, %d rate-limited, peak %d/s); Certifier %d requests (%.3f per credential, %d rate-limited)",
		n, members, baselineTook.Round(100*time.Millisecond), n, took.Round(100*time.Millisecond), bound.duration().Round(100*time.Millisecond),
		bound.acCalls(), batchACLimit, n, batchCertLimit, ratio, peak,
		acStats.Requests, acPer, acStats.RateLimited, acStats.Accounts[acAccount].PeakPerSecond,
		certStats.Requests, certPer, certStats.RateLimited)
	b.Logf("the first read that could list them started %s after the tag change; from it to the last credential %s, ratio %.2f",
		wait.Round(10*time.Millisecond), fromRead.Round(100*time.Millisecond), ratioFromRead)
	if field {
		b.Logf("custom field: %d ActiveCampaign calls read field values (%d GET /fieldValues, %d GET /contacts/{id}/fieldValues); the bound counts %d",
			acStats.ByEndpoint["GET /api/3/fieldValues"]+acStats.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"],
			acStats.ByEndpoint["GET /api/3/fieldValues"], acStats.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"], bound.fields)
	}

	if csvDir != "" {
		path := filepath.Join(csvDir, fmt.Sprintf("batch-%d.csv", n))
		must(b, writeBatchProgress(path, done, bound))
		b.Logf("progress written to %s", path)
	}
}

// batchBound is the lower bound the two rate limits set on a batch of n
// contacts entering a segment of members members (the n included):
//
//	bound = max((ceil(members/10,000) + ceil(n/100) + F) / 5, n / 200) seconds
//
// F is 0 unless the mapping uses a custom field (withField).
//
// ActiveCampaign must answer one snapshot of the segment and one details
// call per 100 entrants, at 5 per second; Certifier one create-issue-send
// per entrant, at 200 per second. A snapshot is ceil(members/10,000)
// calls: in these worlds a segment-match run is ready within the sandbox's
// 50 ms MatchRunDelay, well within its InlineWait, so the call that starts
// it answers with page 1 of 10,000 ids and no poll is needed; each further
// page is one segmentMatchSome call (activecampaign.Client.MatchSnapshot).
type batchBound struct {
	n        int
	snapshot int // ActiveCampaign calls of one snapshot
	details  int // ActiveCampaign calls for the entrants' details
	fields   int // ActiveCampaign calls for a custom field's values (withField)
}

func newBatchBound(n, members int) batchBound {
	const pageSize, contactsPerCall = 10_000, 100
	ceilDiv := func(a, b int) int { return (a + b - 1) / b }
	return batchBound{n: n, snapshot: ceilDiv(members, pageSize), details: ceilDiv(n, contactsPerCall)}
}

// withField adds the calls that read a custom field the mapping uses,
// which values contacts of the account have: the cheaper of one read per
// entrant (GET /contacts/{id}/fieldValues) and one scan of all the
// field's values, 100 a call (GET /fieldValues?filters[fieldid]=).
func (bb batchBound) withField(values int) batchBound {
	bb.fields = min(bb.n, (values+99)/100)
	return bb
}

func (bb batchBound) acCalls() int { return bb.snapshot + bb.details + bb.fields }

func (bb batchBound) seconds() float64 {
	return max(float64(bb.acCalls())/batchACLimit, float64(bb.n)/batchCertLimit)
}

func (bb batchBound) duration() time.Duration {
	return time.Duration(bb.seconds() * float64(time.Second))
}

// credentialsBy is the ideal curve: how many credentials the two limits
// allow t seconds after the tag change. No more than Certifier's limit has
// let through, and no more than the contacts whose details could have been
// read: ActiveCampaign's first calls go to the snapshot, each later one
// brings 100 contacts (with a custom field, see the cases below). Calls
// are taken as a steady flow, so the curve reaches n exactly at the bound
// (for n a multiple of 100).
func (bb batchBound) credentialsBy(t float64) int {
	calls := batchACLimit*t - float64(bb.snapshot)
	read := 100 * calls
	switch {
	case bb.fields == 0:
	case bb.fields < bb.n:
		// A scan of the field's values comes first: its last page may
		// hold any entrant's.
		read = 100 * (calls - float64(bb.fields))
	default:
		// One details call per 100 entrants and one read per entrant.
		read = calls * 100 / 101
	}
	return int(max(0, min(float64(bb.n), batchCertLimit*t, read)))
}

// creationOffsets returns when each credential was created, in seconds
// after start, in ascending order.
func creationOffsets(creds []simcert.Credential, start time.Time) []float64 {
	out := make([]float64, len(creds))
	for i, c := range creds {
		out[i] = c.CreatedAt.Sub(start).Seconds()
	}
	slices.Sort(out)
	return out
}

// progressStep is the sampling interval of the progress CSV.
const progressStep = 250 * time.Millisecond

// writeBatchProgress writes the credentials created by every progressStep
// (done are the creation offsets, ascending) beside the ideal curve, until
// both the run and the curve have reached n.
func writeBatchProgress(path string, done []float64, bound batchBound) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"seconds", "credentials", "bound_credentials"})
	end := max(done[len(done)-1], bound.seconds())
	steps := int(math.Ceil(end / progressStep.Seconds()))
	created := 0
	for i := 0; i <= steps; i++ {
		t := float64(i) * progressStep.Seconds()
		for created < len(done) && done[created] <= t {
			created++
		}
		_ = cw.Write([]string{strconv.FormatFloat(t, 'f', 2, 64), strconv.Itoa(created), strconv.Itoa(bound.credentialsBy(t))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// courseOf is the "Course name" of a contact of the batch benchmark: its
// own, so that a value given to the wrong entrant shows.
func courseOf(c simac.ContactInput) string { return "Course of " + c.LastName }
