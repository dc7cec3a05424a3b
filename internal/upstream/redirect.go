package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxRedirects is how many same-origin redirects one request follows.
// Go's own default is 10; an API answer that needs more is a loop.
const MaxRedirects = 5

// RedirectError means the service answered with a redirect that autocred
// did not follow: to another origin (scheme, host and port), or one hop too
// many. Nothing was sent to the redirect's target. Status is the redirect's
// status (301, 302, 303, 307 or 308); To is the target's origin only
// ("https://host:port"), never its path or query, which may carry anything.
type RedirectError struct {
	System, Endpoint string
	Status           int
	To               string // the target's origin; "" for too many redirects
	Loop             bool   // MaxRedirects same-origin redirects were followed
}

func (e *RedirectError) Error() string {
	if e.Loop {
		return fmt.Sprintf("%s %s: answered %d redirects in a row; autocred stops following them", e.System, e.Endpoint, MaxRedirects)
	}
	return fmt.Sprintf("%s %s: answered %d with a redirect to another address (%s), which autocred does not follow", e.System, e.Endpoint, e.Status, e.To)
}

// errCrossOrigin is what checkRedirect gives net/http; Do turns it into a
// RedirectError that names the endpoint.
type errCrossOrigin struct {
	status int
	to     string
	loop   bool
}

func (e *errCrossOrigin) Error() string { return "redirect to " + e.to + " not followed" }

// Origin is the scheme, host and port of u, with the scheme's default port
// made explicit, so that http://h and http://h:80 compare equal.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// withRedirectPolicy returns a copy of c that follows a redirect only to
// the origin of the request it started from, and at most MaxRedirects
// times. net/http alone strips only Authorization, Cookie and
// WWW-Authenticate, and only when the redirect leaves the domain: another
// port of the same host gets every header, and any other host gets
// ActiveCampaign's Api-Token. Refusing the hop is the only way to be sure
// a key reaches no one but the configured host. A hop within the origin (a
// trailing slash, a moved path) carries the key to the host it was meant
// for, so it is followed. The caller's own CheckRedirect, if any, still
// runs after this one.
func withRedirectPolicy(c *http.Client) *http.Client {
	cp := *c
	inner := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		if Origin(req.URL) != Origin(via[0].URL) {
			return &errCrossOrigin{status: status, to: displayOrigin(req.URL)}
		}
		if len(via) >= MaxRedirects {
			return &errCrossOrigin{status: status, loop: true}
		}
		if inner != nil {
			return inner(req, via)
		}
		return nil
	}
	return &cp
}

// displayOrigin is the part of a redirect target that is safe to show: the
// scheme and host (with its port when one is given). Never the user info,
// path or query.
func displayOrigin(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// redirectError turns the error of a refused redirect into a RedirectError;
// ok is false for any other error.
func redirectError(system, endpoint string, err error) (*RedirectError, bool) {
	var co *errCrossOrigin
	if !errors.As(err, &co) {
		return nil, false
	}
	return &RedirectError{System: system, Endpoint: endpoint, Status: co.status, To: co.to, Loop: co.loop}, true
}
