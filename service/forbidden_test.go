package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// Listing segments with a key whose user may not view them says which
// permission is missing and leaves the connection working; a refused key
// (401) breaks it.
func TestSegmentPickerSaysWhichPermissionIsMissing(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	ac := connectAC(t, env)
	if err := env.AC.Deny(testenv.ACAccount, simac.PermSegments, false); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Segments(ctx, ac.ID)
	if autocred.ErrorCode(err) != autocred.EUPSTREAM || !strings.Contains(autocred.ErrorMessage(err), "'You do not have permission to view segments'") {
		t.Errorf("segments with the permission denied: %v", err)
	}
	if c, _ := env.Store.Connection(ctx, ac.ID); c.Status != autocred.ConnectionOK {
		t.Errorf("a missing permission changed the connection: %+v", c)
	}

	if err := env.AC.SetAPIKey(testenv.ACAccount, "regenerated-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Segments(ctx, ac.ID); autocred.ErrorCode(err) != autocred.ECONNECTION {
		t.Errorf("segments with a refused key: %v", err)
	}
	if c, _ := env.Store.Connection(ctx, ac.ID); c.Status != autocred.ConnectionBroken {
		t.Errorf("a refused key left the connection %s", c.Status)
	}
}
