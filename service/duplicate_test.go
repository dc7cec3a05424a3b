package service_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simcert "github.com/autocred/autocred/sim/certifier"
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

// An account already connected is refused however it is reached: by
// another spelling of its address (localhost for 127.0.0.1, a trailing
// slash, upper case), with its key at another address, or, for Certifier,
// with another token of the same workspace. Another workspace is welcome.
func TestSameAccountIsKnownHoweverItIsReached(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, err error, field, says string) {
		t.Helper()
		var e *autocred.Error
		if !errors.As(err, &e) || e.Code != autocred.ECONFLICT || e.Field != field || !strings.Contains(e.Message, says) {
			t.Errorf("got %v; want a conflict on %s saying %q", err, field, says)
		}
	}
	t.Run("ActiveCampaign at another spelling of its address", func(t *testing.T) {
		env := testenv.New(t, testenv.Options{})
		ac := connectAC(t, env)
		alias := strings.Replace(strings.ToUpper(env.ACURL[:len("http://127.0.0.1")]), "127.0.0.1", "LOCALHOST", 1) + env.ACURL[len("http://127.0.0.1"):] + "/"
		_, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC again", APIURL: alias, APIKey: testenv.ACKey})
		refused(t, err, "api_url", `already connected as "AC" (connection `+strconv.FormatInt(ac.ID, 10)+`), whose API URL `+env.ACURL+` reaches the same account`)
	})
	t.Run("ActiveCampaign's key at another address", func(t *testing.T) {
		env := testenv.New(t, testenv.Options{})
		other := autocred.Connection{App: autocred.AppActiveCampaign, Name: "Acme", APIURL: "https://acme.api-us1.com", SecretHint: "…cdef"}
		if err := env.Store.CreateConnection(ctx, &other, env.Box.Seal(testenv.ACKey)); err != nil {
			t.Fatal(err)
		}
		_, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
		refused(t, err, "api_key", `This API key is already connected as "Acme"`)
	})
	t.Run("another token of a connected workspace", func(t *testing.T) {
		env := testenv.New(t, testenv.Options{})
		if _, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate"}); err != nil {
			t.Fatal(err)
		}
		_, cert := connectBoth(t, env)
		const second = "cert-token-second-0123456789"
		if err := env.Certifier.AddWorkspace(testenv.CertWorkspace, second); err != nil {
			t.Fatal(err)
		}
		_, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "C again", APIURL: env.CertifierURL, AccessToken: second})
		refused(t, err, "access_token", `already connected as "C" (connection `+strconv.FormatInt(cert.ID, 10)+`)`)

		const other = "cert-token-other-0123456789"
		if err := env.Certifier.AddWorkspace("other", other); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Certifier.AddGroup("other", simcert.GroupInput{Name: "Diploma"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Other", APIURL: env.CertifierURL, AccessToken: other}); err != nil {
			t.Errorf("another workspace: %v", err)
		}
	})
}
