package activecampaign_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

func TestRateLimit(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			e := newEnv(t, simac.Options{RatePerSecond: 0, LimitStatus: status})
			e.srv.Gate().SetRatePerSecond(5) // newEnv turns the limit off; this is the real one
			served, limited := 0, 0
			for range 20 {
				r := e.do("GET", "/acme/api/3/users/me", nil)
				switch r.status {
				case 200:
					served++
				case status:
					limited++
					if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
						t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
					}
					if status == 429 && get(r.json(t), "errors", 0, "title") != "Too Many Requests" {
						t.Fatalf("429 body: %s", r.body)
					}
				default:
					t.Fatalf("status %d", r.status)
				}
			}
			if served != 5 || limited != 15 {
				t.Fatalf("served %d, limited %d; want 5 and 15", served, limited)
			}
			if st := e.srv.Gate().Stats(); st.Accounts["acme"].RateLimited != 15 {
				t.Fatalf("counters: %+v", st.Accounts["acme"])
			}
		})
	}
}

func TestFaultInjectionThroughControlAPI(t *testing.T) {
	e := newEnv(t, simac.Options{})
	put := func(rules string) {
		t.Helper()
		r := e.doKey("PUT", "/_sandbox/faults", `{"rules":`+rules+`}`, "")
		if r.status != 200 {
			t.Fatalf("faults: %d %s", r.status, r.body)
		}
	}
	put(`[{"endpoint":"GET /api/3/users/me","error_rate":1}]`)
	r := e.do("GET", "/acme/api/3/users/me", nil)
	if r.status != 500 || get(r.json(t), "errors", 0, "status") != 500.0 {
		t.Fatalf("injected error: %d %s", r.status, r.body)
	}

	id := e.importContacts(simac.ContactInput{Email: "before@example.com"})[0]
	put(`[{"endpoint":"PUT /api/3/contacts/{id}","drop_after_rate":1}]`)
	req, _ := http.NewRequest("PUT", e.ts.URL+"/acme/api/3/contacts/"+itoa(id), strings.NewReader(`{"contact":{"email":"dropped@example.com"}}`))
	req.Header.Set("Api-Token", testKey)
	if res, err := e.ts.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("want a network error, got %d", res.StatusCode)
	}
	put(`[]`)
	m := e.api("GET", "/contacts?email=dropped@example.com", nil, 200)
	if get(m, "meta", "total") != "1" {
		t.Fatalf("the dropped request must still have changed the contact: %v", m)
	}
	if r := e.doKey("PUT", "/_sandbox/faults", `{"rules":[{"endpoint":"*","error_rate":2}]}`, ""); r.status != 400 {
		t.Fatalf("invalid rule: %d", r.status)
	}
}

// A throttle models the account's budget used up by its other
// integrations: every request is answered 429 "Retry-After: 30" (the
// docs' example) until the throttle ends, however slowly the client goes,
// and no other account is affected.
func TestThrottleAnswers429WithLongRetryAfterForAWhile(t *testing.T) {
	e := newEnv(t, simac.Options{})
	if err := e.srv.AddAccount("other", "other-key-123"); err != nil {
		t.Fatal(err)
	}
	r := e.doKey("PUT", "/_sandbox/accounts/acme/throttle", `{"retry_after_seconds":30,"for_seconds":40}`, "")
	if r.status != 200 || get(r.json(t), "retry_after_seconds") != 30.0 || get(r.json(t), "for_seconds") != 40.0 {
		t.Fatalf("throttle: %d %s", r.status, r.body)
	}
	for range 3 {
		r := e.do("GET", "/acme/api/3/users/me", nil)
		if r.status != 429 || r.header.Get("Retry-After") != "30" || get(r.json(t), "errors", 0, "title") != "Too Many Requests" {
			t.Fatalf("throttled request: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if r := e.doKey("GET", "/other/api/3/users/me", nil, "other-key-123"); r.status != 200 {
		t.Fatalf("another account is not throttled: %d", r.status)
	}
	if st := e.srv.Gate().Stats(); st.Accounts["acme"].Throttled != 3 {
		t.Fatalf("counters: %+v", st.Accounts["acme"])
	}
	if r := e.doKey("GET", "/_sandbox/accounts/acme/throttle", nil, ""); get(r.json(t), "for_seconds") != 40.0 {
		t.Fatalf("throttle state: %s", r.body)
	}

	// Ended through the control API; the default Retry-After is the docs' 30.
	if r := e.doKey("PUT", "/_sandbox/accounts/acme/throttle", `{"for_seconds":0}`, ""); r.status != 200 {
		t.Fatalf("end throttle: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/acme/api/3/users/me", nil); r.status != 200 {
		t.Fatalf("after the throttle: %d", r.status)
	}
	if err := e.srv.Throttle("acme", 30*time.Second, time.Hour); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/acme/api/3/users/me", nil); r.status != 429 || r.header.Get("Retry-After") != "30" {
		t.Fatalf("Go option: %d %q", r.status, r.header.Get("Retry-After"))
	}

	for _, bad := range []string{`{}`, `{"for_seconds":-1}`, `{"for_seconds":5,"retry_after_seconds":0}`, `{"for_seconds":5,"x":1}`} {
		if r := e.doKey("PUT", "/_sandbox/accounts/acme/throttle", bad, ""); r.status != 400 {
			t.Errorf("%s: %d, want 400", bad, r.status)
		}
	}
	if r := e.doKey("PUT", "/_sandbox/accounts/nobody/throttle", `{"for_seconds":5}`, ""); r.status != 404 {
		t.Errorf("unknown account: %d, want 404", r.status)
	}
}

// The throttle ends by itself after for_seconds.
func TestThrottleEnds(t *testing.T) {
	e := newEnv(t, simac.Options{})
	if err := e.srv.Throttle("acme", 30*time.Second, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/acme/api/3/users/me", nil); r.status != 429 {
		t.Fatalf("during: %d", r.status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.do("GET", "/acme/api/3/users/me", nil).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the throttle did not end")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
