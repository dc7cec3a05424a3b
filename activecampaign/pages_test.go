package activecampaign

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestAllFieldValuesAreRead: the sandbox pages /contacts/{id}/fieldValues
// and /fields at 20 by default, like every v3 collection. A contact with
// 25 (or 120) set fields, in an account with 120 custom fields, has every
// value and definition read, at one call per 100.
func TestAllFieldValuesAreRead(t *testing.T) {
	for _, n := range []int{25, 120} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			s := newSandbox(t, simac.Options{}, Config{})
			all := map[string]string{}
			for i := 1; i <= 120; i++ {
				all[fmt.Sprintf("PERSTAG%d", i)] = "unset on the contact"
			}
			if _, err := s.sim.Import("acme", []simac.ContactInput{{Email: "defs@example.com", Fields: all}}); err != nil {
				t.Fatal(err) // defines 120 fields
			}
			set := map[string]string{}
			for i := 1; i <= n; i++ {
				set[fmt.Sprintf("PERSTAG%d", i)] = fmt.Sprintf("value %d", i)
			}
			ids, err := s.sim.Import("acme", []simac.ContactInput{{Email: "ana@example.com", Fields: set}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			defs, err := s.client.Fields(ctx)
			if err != nil || len(defs) != 120 {
				t.Fatalf("Fields = %d definitions, %v; want 120", len(defs), err)
			}
			fvs, err := s.client.ContactFields(ctx, autocred.ContactID(ids[0]))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, fv := range fvs {
				got[fv.Field.Perstag] = fv.Value
			}
			if len(fvs) != n || len(got) != n || got[fmt.Sprintf("PERSTAG%d", n)] != fmt.Sprintf("value %d", n) {
				t.Fatalf("ContactFields gave %d values (%d distinct), PERSTAG%d = %q; want %d", len(fvs), len(got), n, got[fmt.Sprintf("PERSTAG%d", n)], n)
			}
			wantCalls := int64((n + 99) / 100)
			if calls := s.sim.Gate().Stats().ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]; calls != wantCalls {
				t.Errorf("%d calls for %d values, want %d", calls, n, wantCalls)
			}
		})
	}
}

// TestReadAllStops: however a server pages (or fails to), readAll returns
// every item once and never loops.
func TestReadAllStops(t *testing.T) {
	const n = 150
	tests := []struct {
		name      string
		pageSize  func(limit int) int // items per page the server answers
		total     bool                // meta.total given
		offsetOK  bool                // the server honours offset
		want      int
		wantCalls int
	}{
		{"pages of 100 with a total", func(l int) int { return l }, true, true, n, 2},
		{"pages of 20 whatever the limit, with a total", func(int) int { return 20 }, true, true, n, 8},
		{"pages of 20, no total", func(int) int { return 20 }, false, true, 20, 1},
		{"offset ignored, everything at once", func(int) int { return 1000 }, false, false, n, 2},
		{"offset ignored, pages of 20 with a total", func(int) int { return 20 }, true, false, 20, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
				offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
				if !tt.offsetOK {
					offset = 0
				}
				var items []string
				for i := offset; i < min(offset+tt.pageSize(limit), n); i++ {
					items = append(items, fmt.Sprintf(`{"field":"%d","value":"v%d"}`, i+1, i+1))
				}
				meta := `{}`
				if tt.total {
					meta = fmt.Sprintf(`{"total":"%d"}`, n)
				}
				fmt.Fprintf(w, `{"fieldValues":[%s],"meta":%s}`, strings.Join(items, ","), meta)
			}))
			defer srv.Close()
			c, err := New(Config{URL: srv.URL, Key: "k"})
			if err != nil {
				t.Fatal(err)
			}
			type fv struct {
				Field ID `json:"field"`
			}
			got, err := readAll(context.Background(), c, "GET /x", "/x", "fieldValues", func(v fv) ID { return v.Field })
			if err != nil || len(got) != tt.want || calls != tt.wantCalls {
				t.Errorf("readAll = %d items in %d calls, %v; want %d in %d", len(got), calls, err, tt.want, tt.wantCalls)
			}
		})
	}
}
