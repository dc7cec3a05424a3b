package activecampaign

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/ratelimit"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestContactReadsAreGathered: 250 runs retried at once each read their
// contact; the reads go out as GET /contacts?ids[]= calls of up to 100,
// not 250 calls, through the account's limiter, and each reader gets its
// own contact (or ErrNotFound for one that was deleted).
func TestContactReadsAreGathered(t *testing.T) {
	limits := ratelimit.NewRegistry(4)
	s := newSandbox(t, simac.Options{RatePerSecond: 5}, Config{Limiter: limits.For("acme"), ContactReadSpacing: 50 * time.Millisecond})
	ids := s.importContacts(t, 250, 0)
	ids = append(ids, 999_999) // does not exist
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			c, err := s.client.Contact(context.Background(), autocred.ContactID(id))
			if id == 999_999 {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("missing contact: %+v, %v; want ErrNotFound", c, err)
				}
				return
			}
			if err != nil || c.ID != autocred.ContactID(id) || c.FirstName != "C"+ID(i).String() {
				t.Errorf("contact %d: %+v, %v", id, c, err)
			}
		})
	}
	wg.Wait()
	st := s.sim.Gate().Stats()
	// The first reader's call may go alone; the 250 others fill three.
	if calls := st.ByEndpoint["GET /api/3/contacts"]; calls > 4 {
		t.Errorf("%d calls for 251 reads at once, want at most 4", calls)
	}
	if st.RateLimited != 0 {
		t.Errorf("%d answers 429: the reads did not keep to the account's limiter", st.RateLimited)
	}
}

// TestContactReadsAreSpaced: reads one after another start no sooner than
// the spacing apart, and a lone read goes at once.
func TestContactReadsAreSpaced(t *testing.T) {
	const spacing = 200 * time.Millisecond
	s := newSandbox(t, simac.Options{}, Config{ContactReadSpacing: spacing})
	ids := s.importContacts(t, 3, 0)
	ctx := context.Background()
	start := time.Now()
	if _, err := s.client.Contact(ctx, autocred.ContactID(ids[0])); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > spacing/2 {
		t.Errorf("a lone read took %v; it should go at once", d)
	}
	for _, id := range ids[1:] {
		if _, err := s.client.Contact(ctx, autocred.ContactID(id)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 2*spacing {
		t.Errorf("three reads took %v, less than twice the spacing (%v)", d, spacing)
	}
}

// TestContactReadLeftByOneReader: a reader that stops waiting does not end
// the call for the others that joined it, and a batch everyone left does
// not swallow the next read.
func TestContactReadLeftByOneReader(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{ContactReadSpacing: 300 * time.Millisecond})
	ids := s.importContacts(t, 3, 0)
	if _, err := s.client.Contact(context.Background(), autocred.ContactID(ids[0])); err != nil { // the next waits its spacing
		t.Fatal(err)
	}
	quit, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := s.client.Contact(quit, autocred.ContactID(ids[1])); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled reader: %v, want context.Canceled", err)
		}
	})
	wg.Go(func() {
		time.Sleep(20 * time.Millisecond)
		if c, err := s.client.Contact(context.Background(), autocred.ContactID(ids[2])); err != nil || c.ID != autocred.ContactID(ids[2]) {
			t.Errorf("the reader that stayed: %+v, %v", c, err)
		}
	})
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()

	// Everyone leaves a batch; a later read still gets an answer.
	alone, cancelAlone := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelAlone()
	if _, err := s.client.Contact(alone, autocred.ContactID(ids[0])); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read given up: %v", err)
	}
	if c, err := s.client.Contact(context.Background(), autocred.ContactID(ids[1])); err != nil || c.ID != autocred.ContactID(ids[1]) {
		t.Errorf("read after an abandoned batch: %+v, %v", c, err)
	}
}
