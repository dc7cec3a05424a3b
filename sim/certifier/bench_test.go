package certifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fillWorkspace stores n credentials straight into the sandbox workspace,
// four per recipient email, spread over the three sample groups: the shape
// of a large account after years of automated issuing.
func fillWorkspace(tb testing.TB, n int) (*Server, Sample) {
	tb.Helper()
	// Lenient: the duplicate check below filters on groupId, a sandbox
	// extra, to show the email index serves a compound filter.
	srv := New(Options{RatePerSecond: -1, Search: SearchLenient})
	if err := srv.AddWorkspace(testWorkspace, testToken); err != nil {
		tb.Fatal(err)
	}
	sample, err := srv.SeedSample(testWorkspace)
	if err != nil {
		tb.Fatal(err)
	}
	ws, _ := srv.workspace(testWorkspace)
	groups := []Group{sample.CourseCompletion, sample.VIPMember, sample.WebinarAttendance}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for i := range n {
		g := groups[i%3]
		email := fmt.Sprintf("person%06d@example.org", i/4)
		id, now := srv.ids.next()
		ws.addCredential(&Credential{
			ID: id, PublicID: newUUID(), GroupID: g.ID, GroupName: g.Name, Status: StatusIssued,
			Recipient: Recipient{ID: srv.recipientID(ws, email), Name: fmt.Sprintf("Person %d", i/4), Email: email},
			IssueDate: "2025-01-01", CreatedAt: now, UpdatedAt: now,
		})
	}
	return srv, sample
}

func searchRequest(tb testing.TB, filter map[string]any) *http.Request {
	body, err := json.Marshal(map[string]any{"filter": filter, "limit": 10})
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v1/credentials/search", bytes.NewReader(body))
	req.Header.Set("Certifier-Version", apiVersion)
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

// BenchmarkSearch measures POST /credentials/search over 100,000
// credentials, in process: the duplicate check by email and group (served
// from the email index), and a name search that has to scan.
func BenchmarkSearch(b *testing.B) {
	const n = 100_000
	srv, sample := fillWorkspace(b, n)
	for _, bc := range []struct {
		name   string
		filter func(i int) map[string]any
	}{
		{"email+group", func(i int) map[string]any {
			return map[string]any{"AND": []any{
				map[string]any{"recipient": map[string]any{"email": map[string]any{"equals": fmt.Sprintf("person%06d@example.org", (i*7919)%(n/4))}}},
				map[string]any{"groupId": map[string]any{"equals": sample.CourseCompletion.ID}},
			}}
		}},
		{"name-contains-scan", func(i int) map[string]any {
			return map[string]any{"recipient.name": map[string]any{"contains": fmt.Sprintf("Person %d", (i*7919)%(n/4))}}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, searchRequest(b, bc.filter(i)))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				i++
			}
		})
	}
}

// The email index must answer the duplicate check without a scan: over
// 100,000 credentials it finds exactly the recipient's credentials of the
// group.
func TestSearchByEmailOverLargeWorkspace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 credentials")
	}
	srv, sample := fillWorkspace(t, 100_000)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, searchRequest(t, map[string]any{"AND": []any{
		map[string]any{"recipient.email": map[string]any{"equals": "person012345@example.org"}},
		map[string]any{"groupId": map[string]any{"equals": sample.CourseCompletion.ID}},
	}}))
	var got struct{ Data []credentialJSON }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// Credentials 49380..49383 belong to person 12345; 49380 and 49383 are
	// in the course group (index % 3 == 0).
	if len(got.Data) != 2 {
		t.Fatalf("%d results: %s", len(got.Data), rec.Body)
	}
	for _, c := range got.Data {
		if c.Recipient.Email == nil || *c.Recipient.Email != "person012345@example.org" || c.GroupID != sample.CourseCompletion.ID {
			t.Fatalf("wrong result %+v", c)
		}
	}
}
