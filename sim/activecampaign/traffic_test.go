package activecampaign_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

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

	put(`[{"endpoint":"POST /api/3/contacts","drop_after_rate":1}]`)
	req, _ := http.NewRequest("POST", e.ts.URL+"/acme/api/3/contacts", strings.NewReader(`{"contact":{"email":"dropped@example.com"}}`))
	req.Header.Set("Api-Token", testKey)
	if res, err := e.ts.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("want a network error, got %d", res.StatusCode)
	}
	put(`[]`)
	m := e.api("GET", "/contacts?email=dropped@example.com", nil, 200)
	if get(m, "meta", "total") != "1" {
		t.Fatalf("the dropped request must still have created the contact: %v", m)
	}
	if r := e.doKey("PUT", "/_sandbox/faults", `{"rules":[{"endpoint":"*","error_rate":2}]}`, ""); r.status != 400 {
		t.Fatalf("invalid rule: %d", r.status)
	}
}
