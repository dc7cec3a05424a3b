package service

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/upstream"
)

// TestReadFailedPlainWords: a form whose listing (groups, segments,
// fields) cannot be read says so in words that say what to do, without
// the request's method, path or status code (issue 15, round 5, #6: "Could
// not read from Certifier: certifier GET /groups: 503
// internal_server_error: …").
func TestReadFailedPlainWords(t *testing.T) {
	refused := &upstream.NetworkError{System: "activecampaign", Endpoint: "GET /segments", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name, app, what string
		err             error
		want            []string
	}{
		{"certifier 503", "Certifier", "the groups",
			fmt.Errorf("listing: %w", &certifier.Error{Endpoint: "GET /groups", Status: 503, Code: "internal_server_error", Message: "There was a problem on Certifier's end"}),
			[]string{"Could not read the groups from Certifier: Certifier had a problem on its end", "try again in a moment", "There was a problem on Certifier's end"}},
		{"activecampaign refused connection", "ActiveCampaign", "the segments", fmt.Errorf("GET /segments: %w", refused),
			[]string{"Could not read the segments from ActiveCampaign: ActiveCampaign did not answer (the connection was refused", "try again in a moment"}},
		{"activecampaign 500", "ActiveCampaign", "the custom fields", fmt.Errorf("fields: %w", &activecampaign.Error{Status: 500, Message: "Server Error"}),
			[]string{"Could not read the custom fields from ActiveCampaign: ActiveCampaign had a problem on its end", "try again in a moment"}},
		{"certifier 429", "Certifier", "the custom attributes", &certifier.Error{Endpoint: "GET /custom-attributes", Status: 429, Code: "rate_limited", Message: "Too many requests"},
			[]string{"asked autocred to slow down", "try again in a minute"}},
		{"unknown", "Certifier", "the groups", errors.New("certifier GET /groups: unreadable answer"),
			[]string{"Could not read the groups from Certifier. Nothing was changed: try again in a moment."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readFailed(tt.app, tt.what, tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("readFailed = %q\nwant it to contain %q", got, w)
				}
			}
			for _, bad := range []string{"GET", "/groups", "/segments", "503", "500", "429", "internal_server_error", "certifier "} {
				if strings.Contains(got, bad) {
					t.Errorf("readFailed = %q: says %q, the request's words, not the user's", got, bad)
				}
			}
		})
	}
}
