package activecampaign

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestScanFieldReadsOneFieldPageByPage: against the sandbox, under each
// reading of filters[fieldid], a scan costs the pages the first page's
// meta.total announces, and holds exactly the wanted contacts' values of
// the field asked for: never another field's, never another contact's.
func TestScanFieldReadsOneFieldPageByPage(t *testing.T) {
	for _, tt := range []struct {
		filter string
		pages  int // 250 values of COURSE; 250 of OTHER when it comes too
	}{
		{simac.FieldFilterExact, 3},
		{simac.FieldFilterContains, 3}, // OTHER is field 2: "1" is not in "2"
		{simac.FieldFilterIgnored, 5},
	} {
		t.Run("filter="+tt.filter, func(t *testing.T) {
			s := newSandbox(t, simac.Options{FieldValueFilter: simac.FieldValueFilter{FieldID: tt.filter}}, Config{})
			in := make([]ContactInputForTest, 250)
			for i := range in {
				in[i] = ContactInputForTest{Email: fmt.Sprintf("c%d@example.com", i),
					Fields: map[string]string{"COURSE": fmt.Sprint("Course ", i)}}
			}
			ids, err := s.sim.Import("acme", in)
			if err != nil {
				t.Fatal(err)
			}
			for i := range in {
				in[i].Fields = map[string]string{"OTHER": "not a course"}
			}
			if _, err := s.sim.Import("acme", in); err != nil { // updates the same contacts
				t.Fatal(err)
			}
			course, ok, err := s.client.FieldNamed(context.Background(), "course")
			if err != nil || !ok {
				t.Fatalf("FieldNamed(course): %v, %v", ok, err)
			}
			even := func(id autocred.ContactID) bool { return id%2 == 0 }
			scan, err := s.client.ScanField(context.Background(), course.ID, even)
			if err != nil {
				t.Fatal(err)
			}
			if scan.Pages() != tt.pages || scan.Read() != 1 || scan.Done() {
				t.Fatalf("after the first page: Pages %d, Read %d, Done %v; want %d, 1, false", scan.Pages(), scan.Read(), scan.Done(), tt.pages)
			}
			if err := scan.Finish(context.Background()); err != nil {
				t.Fatal(err)
			}
			if scan.Read() != tt.pages || !scan.Done() {
				t.Errorf("read %d pages (done %v), want %d", scan.Read(), scan.Done(), tt.pages)
			}
			if n := s.sim.Gate().Stats().ByEndpoint["GET /api/3/fieldValues"]; n != int64(tt.pages) {
				t.Errorf("%d calls of GET /fieldValues, want %d", n, tt.pages)
			}
			for i, id := range ids {
				v, ok := scan.Value(autocred.ContactID(id))
				if want := fmt.Sprint("Course ", i); even(autocred.ContactID(id)) != ok || ok && v != want {
					t.Errorf("contact %d: %q, %v; want %q, %v", id, v, ok, want, even(autocred.ContactID(id)))
				}
			}
		})
	}
}

// fakeFieldValues serves GET /fieldValues from values (contact, field,
// value), 100 a page by offset, with meta.total written by total (nil:
// no meta); ignoreOffset answers the first page to every call.
func fakeFieldValues(t *testing.T, values [][3]string, total func(n int) string, ignoreOffset bool) (*Client, *int) {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		if ignoreOffset {
			offset = 0
		}
		var items []string
		for i := offset; i < min(offset+100, len(values)); i++ {
			v := values[i]
			items = append(items, fmt.Sprintf(`{"id":"%d","contact":"%s","field":"%s","value":%q}`, i+1, v[0], v[1], v[2]))
		}
		meta := ""
		if total != nil {
			meta = `,"meta":{"total":` + total(len(values)) + `}`
		}
		fmt.Fprintf(w, `{"fieldValues":[%s]%s}`, strings.Join(items, ","), meta)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

// TestScanFieldSurvivesUndocumentedAnswers: meta.total as a string or a
// number gives the cost; no total gives none (Pages 0) but the scan still
// ends at a short page; a server that ignores offset is not read forever;
// a contact listed twice with different values, or not listed, has no
// value.
func TestScanFieldSurvivesUndocumentedAnswers(t *testing.T) {
	values := make([][3]string, 250)
	for i := range values {
		values[i] = [3]string{strconv.Itoa(i + 1), "7", fmt.Sprint("v", i+1)}
	}
	values[200] = [3]string{"5", "7", "changed"} // contact 5 again, another value
	values[201] = [3]string{"9", "7", "v9"}      // contact 9 again, the same value
	all := func(autocred.ContactID) bool { return true }
	for _, tt := range []struct {
		name         string
		total        func(int) string
		ignoreOffset bool
		pages, calls int // Pages after the first; calls in all
	}{
		{"total as a string", func(n int) string { return strconv.Quote(strconv.Itoa(n)) }, false, 3, 3},
		{"total as a number", func(n int) string { return strconv.Itoa(n) }, false, 3, 3},
		{"no total", nil, false, 0, 3},
		{"offset ignored", func(n int) string { return strconv.Itoa(n) }, true, 3, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := fakeFieldValues(t, values, tt.total, tt.ignoreOffset)
			scan, err := c.ScanField(context.Background(), 7, all)
			if err != nil {
				t.Fatal(err)
			}
			if scan.Pages() != tt.pages {
				t.Errorf("Pages after the first: %d, want %d", scan.Pages(), tt.pages)
			}
			if err := scan.Finish(context.Background()); err != nil {
				t.Fatal(err)
			}
			if *calls != tt.calls {
				t.Errorf("%d calls, want %d", *calls, tt.calls)
			}
			if _, ok := scan.Value(5); ok && !tt.ignoreOffset {
				t.Error("contact 5, listed with two values, has one")
			}
			if v, ok := scan.Value(9); !ok || v != "v9" {
				t.Errorf("contact 9: %q, %v; want v9", v, ok)
			}
			if _, ok := scan.Value(251); ok {
				t.Error("contact 251, not listed, has a value")
			}
		})
	}
}

// TestFieldNamed: a mapping's name finds its field by personalization tag,
// else by title, without regard to case; a name that two fields answer to
// finds none.
func TestFieldNamed(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	for _, f := range [][2]string{{"Course name", "COURSE_NAME"}, {"City", "CITY"}, {"Town", "HOME"}, {"Town", "TOWN2"}, {"Home", "HOME_TOWN"}} {
		s.fieldDef(t, f[0], f[1])
	}
	for _, tt := range []struct {
		name, want string // want: the perstag found, "" for none
	}{
		{"COURSE_NAME", "COURSE_NAME"},
		{"course name", "COURSE_NAME"},
		{"Course Name", "COURSE_NAME"},
		{"city", "CITY"},
		{"Town", ""},     // two fields have this title
		{"home", "HOME"}, // HOME is a tag; "Home" a title: the tag wins
		{"nothing", ""},
	} {
		f, ok, err := s.client.FieldNamed(context.Background(), tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := map[bool]string{true: f.Perstag}[ok]; got != tt.want {
			t.Errorf("FieldNamed(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// fieldDef creates a text field through the sandbox's API.
func (s *sandbox) fieldDef(t *testing.T, title, perstag string) {
	t.Helper()
	body := fmt.Sprintf(`{"field":{"title":%q,"perstag":%q,"type":"text"}}`, title, perstag)
	req, _ := http.NewRequest("POST", s.url+"/api/3/fields", strings.NewReader(body))
	req.Header.Set("Api-Token", "secret-key-1234")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating field %s: status %d", perstag, resp.StatusCode)
	}
}

// A field created after the definitions were cached is found at once (by
// its values' field, and by a mapping's name), at the cost of one more
// GET /fields; a name that no field has costs one such read, not one per
// call, until the cache expires.
func TestFieldCreatedSinceTheDefinitionsWereCached(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ctx := context.Background()
	fieldReads := func() int64 { return s.sim.Gate().Stats().ByEndpoint["GET /api/3/fields"] }
	age := func() { // the definitions were read a while ago, within the cache's life
		s.client.fields.mu.Lock()
		s.client.fields.fetched = s.client.fields.fetched.Add(-10 * time.Second) // over fieldRefreshAfter
		s.client.fields.mu.Unlock()
	}
	first, err := s.sim.Import("acme", []simac.ContactInput{{Email: "ana@example.com", Fields: map[string]string{"COURSE_NAME": "Go 101"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.ContactFields(ctx, autocred.ContactID(first[0])); err != nil {
		t.Fatal(err)
	}
	age()
	later, err := s.sim.Import("acme", []simac.ContactInput{{Email: "bo@example.com", Fields: map[string]string{"COURSE_NAME": "Go 102", "LEVEL": "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	fvs, err := s.client.ContactFields(ctx, autocred.ContactID(later[0]))
	if err != nil {
		t.Fatal(err)
	}
	var c autocred.Contact
	for _, v := range fvs {
		c.SetField(v.Field.Perstag, v.Field.Title, v.Field.Type, v.Value)
	}
	if c.Fields["level"] != "2" {
		t.Errorf("a value of a field created since the definitions were read: fields %v, want level 2", c.Fields)
	}
	if n := fieldReads(); n != 2 {
		t.Errorf("%d reads of GET /fields, want 2 (the first, and one for the new field)", n)
	}
	age()
	for range 3 {
		if _, ok, err := s.client.FieldNamed(ctx, "nothing"); err != nil || ok {
			t.Fatalf("FieldNamed(nothing) = %v, %v", ok, err)
		}
	}
	if n := fieldReads(); n != 3 {
		t.Errorf("%d reads of GET /fields after asking three times for a name no field has, want 3 (one more)", n)
	}
	if _, ok, err := s.client.FieldNamed(ctx, "level"); err != nil || !ok {
		t.Errorf("FieldNamed(level) = %v, %v; want the new field", ok, err)
	}
}

// What the definitions, read again for it, did not have (a value of a
// field GET /fields does not list, a name no field has) is not looked for
// again until the cache's life is over, however many such things are
// looked for in turn: each re-read used to forget the others, so two of
// them asked in turn read /fields at every turn.
func TestFieldsStillUnknownAreNotLookedForAgain(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ctx := context.Background()
	fieldReads := func() int64 { return s.sim.Gate().Stats().ByEndpoint["GET /api/3/fields"] }
	age := func(d time.Duration) {
		s.client.fields.mu.Lock()
		s.client.fields.fetched = s.client.fields.fetched.Add(-d)
		s.client.fields.absentSince = s.client.fields.absentSince.Add(-d)
		s.client.fields.mu.Unlock()
	}
	never := func(map[ID]Field) bool { return false }
	ask := func(key string) {
		t.Helper()
		if _, err := s.client.fieldDefsKnowing(ctx, key, never); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.client.Fields(ctx); err != nil {
		t.Fatal(err)
	}
	ask("id:901") // the first read of the definitions
	for _, key := range []string{"id:902", "id:901", "id:902", "id:901"} {
		age(10 * time.Second) // over fieldRefreshAfter
		ask(key)
	}
	if n := fieldReads(); n != 3 {
		t.Errorf("%d reads of GET /fields, want 3 (Fields, the first definitions, one more for id:902)", n)
	}
	age(fieldCacheTTL)
	ask("id:901")
	if n := fieldReads(); n != 4 {
		t.Errorf("%d reads of GET /fields once the cache's life is over, want 4 (one more)", n)
	}
}
