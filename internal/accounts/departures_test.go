package accounts

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/autocred/autocred/internal/metrics"
)

// Every paced request is counted, as it leaves, in
// autocred_account_requests_in_one_second, by system: what an operator
// reads to see how close autocred comes to an account's budget.
func TestRequestsLeavingAreCountedOnMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	m := metrics.New(nil)
	c := New(Config{Observer: m, CertifierPerSecond: 100})
	crt, err := c.NewCertifier(srv.URL, "a-token")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = crt.Groups(context.Background()) // the answer does not matter: the request left
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "autocred_account_requests_in_one_second" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "system" {
					counted[l.GetValue()] = s.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	if counted["certifier"] != 3 || counted["activecampaign"] != 0 {
		t.Errorf("counted %v, want 3 Certifier requests and no ActiveCampaign one", counted)
	}
}
