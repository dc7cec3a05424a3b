package service_test

import (
	"context"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
)

// connectBoth connects the test environment's ActiveCampaign account and
// Certifier workspace through the service, as a user would.
func connectBoth(t *testing.T, env *testenv.Env) (ac, cert autocred.Connection) {
	t.Helper()
	ctx := context.Background()
	ac, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	cert, err = env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "C", APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken})
	if err != nil {
		t.Fatal(err)
	}
	return ac, cert
}
