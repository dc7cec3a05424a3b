package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// searchFixture stores the runs of an operator's search: people with
// names, one without, one whose name changes when a retry reads it again,
// entered a day apart.
func searchFixture(t *testing.T, db *DB) (autocred.Automation, map[string]autocred.Run, time.Time) {
	t.Helper()
	a := fixture(t, db)
	ctx := context.Background()
	day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	people := []struct {
		key, first, last, email string
		status                  autocred.RunStatus
	}{
		{"ada", "Ada", "Lovelace", "ada@example.com", autocred.RunIssued},
		{"elodie", "Élodie", "Durand", "elodie@exemple.fr", autocred.RunFailed},
		{"grace", "Grace", "Hopper", "GRACE@Navy.mil", autocred.RunIssued},
		{"nameless", "", "", "who@example.com", autocred.RunSkipped},
		{"ada2", "Ada", "Byron", "byron@example.com", autocred.RunFailed},
	}
	out := map[string]autocred.Run{}
	for i, p := range people {
		at := day0.Add(time.Duration(i) * 24 * time.Hour)
		db.now = func() time.Time { return at }
		r := autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(100 + i), Entry: 1, Email: p.email,
			Contact: autocred.Contact{ID: autocred.ContactID(100 + i), Email: p.email, FirstName: p.first, LastName: p.last}}
		if err := db.insertRunsAsGiven(ctx, []*autocred.Run{&r}); err != nil {
			t.Fatal(err)
		}
		r.Status = p.status
		if err := db.SaveRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		out[p.key] = r
	}
	db.now = time.Now
	return a, out, day0
}

// The runs search finds a person by first name, last name, full name,
// email or contact id, whatever the case, on both databases, with the
// other filters; CountRuns counts what it finds on every page.
func TestRunsSearchByNameAndCount(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a, runs, day0 := searchFixture(t, db)
		ctx := context.Background()
		ids := func(keys ...string) []int64 {
			var out []int64
			for _, k := range keys {
				out = append(out, runs[k].ID)
			}
			slices.Sort(out)
			slices.Reverse(out) // newest first, as listed
			return out
		}
		tests := []struct {
			name string
			f    autocred.RunFilter
			want []int64
		}{
			{"everything", autocred.RunFilter{}, ids("ada", "elodie", "grace", "nameless", "ada2")},
			{"first name, any case", autocred.RunFilter{Contact: "aDA"}, ids("ada", "ada2")},
			{"last name", autocred.RunFilter{Contact: "lovelace"}, ids("ada")},
			{"full name, extra spaces", autocred.RunFilter{Contact: "  Ada   Lovelace "}, ids("ada")},
			{"last name, then first", autocred.RunFilter{Contact: "lovelace ada"}, ids("ada")},
			{"last then first, another person", autocred.RunFilter{Contact: "Hopper Grace"}, ids("grace")},
			{"last then first, an email of the last name", autocred.RunFilter{Contact: "byron ada"}, ids("ada2")},
			{"a first name and part of the email", autocred.RunFilter{Contact: "grace navy"}, ids("grace")},
			{"accents and capitals, in any order", autocred.RunFilter{Contact: "DURAND élodie"}, ids("elodie")},
			{"every word must match", autocred.RunFilter{Contact: "ada hopper"}, nil},
			{"a word repeated, or inside another", autocred.RunFilter{Contact: "ada ada byron by"}, ids("ada2")},
			{"a name with an accent, in capitals", autocred.RunFilter{Contact: "ÉLODIE"}, ids("elodie")},
			{"email stored in capitals", autocred.RunFilter{Contact: "grace@navy"}, ids("grace")},
			{"email domain", autocred.RunFilter{Contact: "@example.com"}, ids("ada", "nameless", "ada2")},
			{"contact id is exact", autocred.RunFilter{Contact: "101"}, ids("elodie")},
			// % now splits words (SearchWords); _ stays in a word, for emails.
			{"a LIKE wildcard is a plain character", autocred.RunFilter{Contact: "a_a"}, nil},
			{"name and status", autocred.RunFilter{Contact: "ada", Status: autocred.RunFailed}, ids("ada2")},
			{"entered from (inclusive)", autocred.RunFilter{EnteredFrom: day0.Add(48 * time.Hour)}, ids("grace", "nameless", "ada2")},
			{"entered before (exclusive)", autocred.RunFilter{EnteredBefore: day0.Add(48 * time.Hour)}, ids("ada", "elodie")},
			{"one day", autocred.RunFilter{EnteredFrom: day0.Add(24 * time.Hour), EnteredBefore: day0.Add(48 * time.Hour)}, ids("elodie")},
			{"nobody", autocred.RunFilter{Contact: "turing"}, nil},
			// A search with no word in it finds nobody, not everybody.
			{"an emoji alone", autocred.RunFilter{Contact: "😀"}, nil},
			{"punctuation alone", autocred.RunFilter{Contact: " ... !! "}, nil},
			{"an emoji and a name", autocred.RunFilter{Contact: "😀 grace"}, ids("grace")},
		}
		for _, tc := range tests {
			f := tc.f
			f.AutomationID = a.ID
			page, _, err := db.Runs(ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []int64
			for _, r := range page {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: runs %v, want %v", tc.name, got, tc.want)
			}
			f.Limit, f.After = 1, 1<<40 // the count ignores the page
			if n, err := db.CountRuns(ctx, f); err != nil || n != len(tc.want) {
				t.Errorf("%s: count %d, want %d (%v)", tc.name, n, len(tc.want), err)
			}
		}

		// A retry that reads the contact again under a new name finds the
		// run under the new name.
		r := runs["nameless"]
		r.Contact.FirstName, r.Contact.LastName = "Alan", "Turing"
		if err := db.SaveRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CountRuns(ctx, autocred.RunFilter{AutomationID: a.ID, Contact: "alan turing"}); n != 1 {
			t.Errorf("after the contact's name changed: %d runs under the new name, want 1", n)
		}
		// Another automation's runs are neither listed nor counted.
		if n, _ := db.CountRuns(ctx, autocred.RunFilter{AutomationID: a.ID + 1000}); n != 0 {
			t.Errorf("another automation: count %d, want 0", n)
		}
	})
}

// A database from before migration 0017 gives its runs their search text,
// so that a name search finds runs stored before the upgrade.
func TestUpgradeMakesOldRunsSearchable(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a, runs, _ := searchFixture(t, db)
		ctx := context.Background()
		for _, q := range []string{`DROP INDEX runs_by_id_search`, `DELETE FROM schema_migrations WHERE version = 19`, `DROP INDEX runs_by_search`, `DROP INDEX runs_by_entered`, `DROP INDEX runs_by_automation`, `ALTER TABLE runs DROP COLUMN search_text`,
			`DELETE FROM schema_migrations WHERE version = 17`} {
			if _, err := db.sql.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int64{"ada lovelace": runs["ada"].ID, "hopper": runs["grace"].ID, "grace@navy.mil": runs["grace"].ID, "who@": runs["nameless"].ID} {
			page, _, err := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, Contact: q})
			if err != nil || len(page) != 1 || page[0].ID != want {
				t.Errorf("search %q after the upgrade: %d runs (%v)", q, len(page), err)
			}
		}
	})
}

// Runs pages back as well as forward: Before gives the page just newer
// than a run, newest first, with the cursor of the page after it, and
// keeps the filter.
func TestRunsPageBack(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a, runs, _ := searchFixture(t, db)
		ctx := context.Background()
		id := func(k string) int64 { return runs[k].ID }
		for _, tc := range []struct {
			name     string
			f        autocred.RunFilter
			want     []int64
			wantNext int64
		}{
			{"back from the oldest", autocred.RunFilter{Before: id("ada"), Limit: 2}, []int64{id("grace"), id("elodie")}, id("elodie")},
			{"back from the middle", autocred.RunFilter{Before: id("grace"), Limit: 2}, []int64{id("ada2"), id("nameless")}, id("nameless")},
			{"back to fewer than a page", autocred.RunFilter{Before: id("nameless"), Limit: 2}, []int64{id("ada2")}, id("ada2")},
			{"nothing newer", autocred.RunFilter{Before: id("ada2"), Limit: 2}, nil, 0},
			{"the whole rest, no older", autocred.RunFilter{Before: id("ada") - 1, Limit: 10}, []int64{id("ada2"), id("nameless"), id("grace"), id("elodie"), id("ada")}, 0},
			{"with a filter", autocred.RunFilter{Before: id("ada"), Contact: "ada", Limit: 2}, []int64{id("ada2")}, id("ada2")},
			{"After wins over Before", autocred.RunFilter{After: id("grace"), Before: id("ada"), Limit: 2}, []int64{id("elodie"), id("ada")}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.f
				f.AutomationID = a.ID
				page, next, err := db.Runs(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range page {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, tc.want) || next != tc.wantNext {
					t.Errorf("page %v, next %d; want %v, next %d", got, next, tc.want, tc.wantNext)
				}
			})
		}
	})
}

// Without an automation, the filter selects the runs of every automation:
// the search for a person across automations, newest first, counted,
// paged both ways, with the other filters.
func TestRunsOfEveryAutomation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a, runs, _ := searchFixture(t, db)
		other := fixture(t, db)
		ctx := context.Background()
		kim := autocred.Run{AutomationID: other.ID, ContactID: 900, Entry: 1, Email: "rkim@example.com",
			Contact: autocred.Contact{ID: 900, Email: "rkim@example.com", FirstName: "Rosa", LastName: "Kim"}}
		ada := autocred.Run{AutomationID: other.ID, ContactID: 100, Entry: 1, Email: "ada@example.com",
			Contact: autocred.Contact{ID: 100, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"}, Status: autocred.RunFailed}
		if err := db.insertRunsAsGiven(ctx, []*autocred.Run{&kim, &ada}); err != nil {
			t.Fatal(err)
		}
		listed := func(f autocred.RunFilter) ([]int64, int64) {
			t.Helper()
			page, next, err := db.Runs(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range page {
				got = append(got, r.ID)
			}
			return got, next
		}
		for _, tc := range []struct {
			name string
			f    autocred.RunFilter
			want []int64
		}{
			{"a name in both automations", autocred.RunFilter{Contact: "ada lovelace"}, []int64{ada.ID, runs["ada"].ID}},
			{"last name then first", autocred.RunFilter{Contact: "kim rosa"}, []int64{kim.ID}},
			{"a contact id in both", autocred.RunFilter{Contact: "100"}, []int64{ada.ID, runs["ada"].ID}},
			{"with a status", autocred.RunFilter{Contact: "ada", Status: autocred.RunFailed}, []int64{ada.ID, runs["ada2"].ID}},
			{"one automation still", autocred.RunFilter{AutomationID: a.ID, Contact: "ada lovelace"}, []int64{runs["ada"].ID}},
			{"nobody", autocred.RunFilter{Contact: "grace kim"}, nil},
		} {
			got, _ := listed(tc.f)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: runs %v, want %v", tc.name, got, tc.want)
			}
			if n, err := db.CountRuns(ctx, tc.f); err != nil || n != len(tc.want) {
				t.Errorf("%s: count %d, want %d (%v)", tc.name, n, len(tc.want), err)
			}
		}

		// Paged a run at a time, older then back, across both automations.
		all, _ := listed(autocred.RunFilter{Limit: 10})
		if len(all) != 7 || all[0] != ada.ID || all[1] != kim.ID {
			t.Fatalf("every run: %v, want the 7 runs of both, the other automation's newest", all)
		}
		page, next := listed(autocred.RunFilter{Limit: 2, After: all[1]})
		if !slices.Equal(page, all[2:4]) || next != all[3] {
			t.Errorf("older page: %v next %d, want %v next %d", page, next, all[2:4], all[3])
		}
		page, _ = listed(autocred.RunFilter{Limit: 2, Before: all[2]})
		if !slices.Equal(page, all[:2]) {
			t.Errorf("page back: %v, want %v", page, all[:2])
		}
	})
}
