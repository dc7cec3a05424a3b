package service

import (
	"errors"
	"fmt"
	"strings"

	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/upstream"
)

// readFailed says, in a user's words, that a listing for a form (the
// segments, custom fields, groups or custom attributes: what) could not be
// read from app, why, and what to do: "try again in a moment" for an
// outage. It never starts with the request autocred sent, its method, path
// or status code: those are for the log, where upstreamError writes the
// whole error. What the app itself said is quoted at the end, when it said
// something.
func readFailed(app, what string, err error) string {
	head := fmt.Sprintf("Could not read %s from %s", what, app)
	var (
		netErr *upstream.NetworkError
		thr    *upstream.ThrottledError
		cErr   *certifier.Error
		aErr   *activecampaign.Error
	)
	status, said := 0, ""
	switch {
	case errors.As(err, &netErr):
		why := upstream.DescribeNetwork(netErr.Err)
		if strings.HasPrefix(why, "its ") {
			why = app + "'s" + why[len("its"):]
		}
		return head + ": " + app + " did not answer (" + why + "). Nothing was changed: try again in a moment; if it lasts, check the connection's API URL on the Connections page."
	case errors.As(err, &thr):
		return head + ": " + app + " asked autocred to slow down. Nothing was changed: try again in a minute."
	case errors.As(err, &cErr):
		status, said = cErr.Status, cErr.Message
	case errors.As(err, &aErr):
		status, said = aErr.Status, aErr.Message
	}
	quote := ""
	if said = strings.TrimSuffix(strings.TrimSpace(said), "."); said != "" {
		quote = " (" + app + " said: \u201c" + said + ".\u201d)"
	}
	switch {
	case status == 429:
		return head + ": " + app + " asked autocred to slow down. Nothing was changed: try again in a minute." + quote
	case status >= 500:
		return head + ": " + app + " had a problem on its end. Nothing was changed: try again in a moment." + quote
	case status == 404:
		return head + ": " + app + " did not find them at this connection's address. Check the connection's API URL on the Connections page." + quote
	case status >= 400:
		return head + ": " + app + " refused the request. Try again in a moment; if it lasts, reconnect the connection on the Connections page." + quote
	}
	return head + ". Nothing was changed: try again in a moment."
}
