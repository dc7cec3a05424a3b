package service_test

import (
	"context"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
)

// A connection of an account that was connected twice with one key (before
// such duplicates were refused) goes broken with the one whose key was
// refused: both had the same dead key.
func TestRefusedKeyBreaksTheDuplicateToo(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	ac := connectAC(t, env)
	dup := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC again", APIURL: ac.APIURL, SecretHint: ac.SecretHint}
	if err := env.Store.CreateConnection(ctx, &dup, env.Box.Seal(testenv.ACKey)); err != nil {
		t.Fatal(err)
	}
	other := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC, another key", APIURL: ac.APIURL, SecretHint: "…9999"}
	if err := env.Store.CreateConnection(ctx, &other, env.Box.Seal("another-key-9999")); err != nil {
		t.Fatal(err)
	}
	if err := env.AC.SetAPIKey(testenv.ACAccount, "regenerated-key-0000"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.Segments(ctx, ac.ID); autocred.ErrorCode(err) != autocred.ECONNECTION {
		t.Fatalf("reading segments with a refused key: %v", err)
	}
	for _, c := range []struct {
		id   int64
		want autocred.ConnectionStatus
	}{{ac.ID, autocred.ConnectionBroken}, {dup.ID, autocred.ConnectionBroken}, {other.ID, autocred.ConnectionOK}} {
		if got, _ := env.Store.Connection(ctx, c.id); got.Status != c.want {
			t.Errorf("%s: %s, want %s", got.Name, got.Status, c.want)
		}
	}
}
