package engine

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/internal/upstream"
)

// A segment read that failed because ActiveCampaign did not answer, or
// failed on its end, is said as an outage (autocred.SyncOutagePrefix), in
// words, without the request; any other failure keeps its own message
// (issue 15, round 5, #5).
func TestFailedSyncMessageSaysAnActiveCampaignOutage(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		outage bool
		says   string
	}{
		{"refused connection", fmt.Errorf("reading: %w", &upstream.NetworkError{System: "activecampaign", Endpoint: "GET /audiences", Err: syscall.ECONNREFUSED}),
			true, "(the connection was refused: nothing is listening at that address): the segment could not be read"},
		{"server error", fmt.Errorf("GET /audiences: %w", &activecampaign.Error{Status: 503, Message: "down"}), true, "it answered with a server error, 503 Service Unavailable"},
		{"still throttled", &upstream.ThrottledError{System: "activecampaign", Endpoint: "GET /contacts"}, true, "it kept asking autocred to slow down"},
		{"not found", fmt.Errorf("GET /audiences: %w", &activecampaign.Error{Status: 404, Message: "No Result found"}), false, "Reading the segment failed"},
		{"other", errors.New("something else"), false, "Reading the segment failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, _ := failedSyncMessage(tt.err)
			a := autocred.Automation{LastSyncError: msg}
			if a.SyncOutage() != tt.outage || !strings.Contains(msg, tt.says) {
				t.Errorf("failedSyncMessage = %q: outage %v, want %v and it to say %q", msg, a.SyncOutage(), tt.outage, tt.says)
			}
			if tt.outage && (strings.Contains(msg, "GET") || strings.Contains(msg, "/audiences")) {
				t.Errorf("failedSyncMessage = %q: says the request", msg)
			}
		})
	}
}
