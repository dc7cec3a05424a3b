package store

import (
	"context"
	"testing"
	"time"
)

// A sync records when a read last worked and since when reads fail, on
// both databases (issue 15, round 5, #5: "Last sync: just now" while every
// read failed).
func TestSyncRecordsLastGoodReadAndFailingSince(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		t0 := time.UnixMilli(time.Now().UnixMilli())
		steps := []struct {
			syncErr             string
			wantOK, wantFailing time.Time
		}{
			{"", t0, time.Time{}},
			{"ActiveCampaign is not answering", t0, t0.Add(time.Minute)},
			{"ActiveCampaign is not answering", t0, t0.Add(time.Minute)}, // the failures' start is kept
			{"", t0.Add(3 * time.Minute), time.Time{}},
		}
		for i, st := range steps {
			at := t0.Add(time.Duration(i) * time.Minute)
			var err error
			if i%2 == 0 {
				err = db.RecordSync(ctx, a.ID, at, st.syncErr, at.Add(time.Minute))
			} else {
				_, err = db.RecordSyncs(ctx, at, st.syncErr, []SyncEnd{{AutomationID: a.ID, Next: at.Add(time.Minute)}}, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.Automation(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastSyncOKAt.Equal(st.wantOK) || !got.SyncFailingSince.Equal(st.wantFailing) || !got.LastSyncAt.Equal(at) {
				t.Errorf("step %d (%q): last sync %v, ok at %v, failing since %v; want %v, %v, %v", i, st.syncErr,
					got.LastSyncAt, got.LastSyncOKAt, got.SyncFailingSince, at, st.wantOK, st.wantFailing)
			}
		}
	})
}
