package store

import (
	"context"
	"testing"

	"github.com/autocred/autocred"
)

// A line of a run's log is read with its id, and can be rewritten (a wait
// that repeats counts itself on its line): only that line of that run.
func TestSetRunEventMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		runs := []*autocred.Run{{AutomationID: a.ID, ContactID: 1, Entry: 1}, {AutomationID: a.ID, ContactID: 2, Entry: 1}}
		if err := db.insertRunsAsGiven(ctx, runs); err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			for _, m := range []string{"Waiting: once.", "Retry requested."} {
				if err := db.AddRunEvent(ctx, r.ID, m); err != nil {
					t.Fatal(err)
				}
			}
		}
		mine, _ := db.RunEvents(ctx, runs[0].ID)
		theirs, _ := db.RunEvents(ctx, runs[1].ID)
		if len(mine) != 2 || mine[0].ID == 0 || mine[0].ID == mine[1].ID {
			t.Fatalf("the log's lines have no ids of their own: %+v", mine)
		}
		if err := db.SetRunEventMessage(ctx, runs[0].ID, mine[0].ID, "Waiting: twice."); err != nil {
			t.Fatal(err)
		}
		// Another run's line by that id is not touched.
		if err := db.SetRunEventMessage(ctx, runs[1].ID, mine[0].ID, "Waiting: not mine."); err != nil {
			t.Fatal(err)
		}
		after, _ := db.RunEvents(ctx, runs[0].ID)
		if after[0].Message != "Waiting: twice." || !after[0].At.Equal(mine[0].At) || after[1].Message != "Retry requested." {
			t.Errorf("after the rewrite: %+v", after)
		}
		if other, _ := db.RunEvents(ctx, runs[1].ID); other[0].Message != theirs[0].Message {
			t.Errorf("another run's line changed: %+v", other)
		}
	})
}
