package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
)

func TestUpstreamURLPolicy(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	svc := service.New(service.Config{Store: env.Store, Engine: env.Engine, Clients: env.Clients, Box: env.Box})
	ctx := context.Background()
	tests := []struct {
		name  string
		in    service.NewConnection
		field string
	}{
		{"sandbox URL without the flag", service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey}, "api_url"},
		{"plain http", service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "http://acme.api-us1.com", APIKey: "k"}, "api_url"},
		{"another domain", service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "https://acme.api-us1.com.evil.example", APIKey: "k"}, "api_url"},
		{"an IP address", service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "https://10.0.0.1", APIKey: "k"}, "api_url"},
		{"Certifier elsewhere", service.NewConnection{App: autocred.AppCertifier, Name: "C", APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken}, "api_url"},
		{"no key", service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "https://acme.api-us1.com"}, "api_key"},
		{"no token", service.NewConnection{App: autocred.AppCertifier, Name: "C"}, "access_token"},
		{"unknown app", service.NewConnection{App: "hubspot", Name: "H"}, "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.CreateConnection(ctx, tt.in)
			var e *autocred.Error
			if err == nil || autocred.ErrorCode(err) != autocred.EINVALID {
				t.Fatalf("err = %v, want invalid", err)
			}
			if e, _ = err.(*autocred.Error); e.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", e.Field, tt.field, err)
			}
		})
	}
	if conns, _ := svc.Connections(ctx); len(conns) != 0 {
		t.Errorf("refused connections were stored: %+v", conns)
	}
}

func TestConnectionKeysAreCheckedAndNeverShown(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	_, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: "wrong-key-9999"})
	if autocred.ErrorCode(err) != autocred.ECONNECTION || !strings.Contains(autocred.ErrorMessage(err), "Settings → Developer → API Access") {
		t.Fatalf("wrong key: %v, want a connection error saying where to find the key", err)
	}
	if strings.Contains(err.Error(), "wrong-key-9999") {
		t.Errorf("error echoes the key: %v", err)
	}
	c, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL + "/api/3/", APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.APIURL != env.ACURL || c.SecretHint != "…"+testenv.ACKey[len(testenv.ACKey)-4:] {
		t.Errorf("connection = %+v", c)
	}
	_, err = env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "C", APIURL: env.CertifierURL, AccessToken: "nope-nope-nope"})
	if autocred.ErrorCode(err) != autocred.ECONNECTION || !strings.Contains(autocred.ErrorMessage(err), "Access Tokens") {
		t.Fatalf("wrong token: %v", err)
	}
}
