package activecampaign

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// edgeState is what answers in front of an account's API instead of it:
//
//   - a redirect: every API request answered 3xx with Location: the target
//     origin followed by the request's own path and query, as an account
//     moved to another host, or a misconfigured proxy, would answer. The
//     redirect comes before the key is checked, as an edge's does, so a
//     client that follows it carries its Api-Token to the target.
//     ActiveCampaign documents no redirects; issue 10 saw a 302 from the
//     configured URL to another port receive the whole key, because Go's
//     http.Client forwards every header to another port of the same host
//     and all but Authorization/Cookie to any other host (net/http,
//     Client.Do: "when forwarding sensitive headers …").
//   - an error page: every API request answered with a 4xx/5xx status and
//     an HTML body, as nginx or a CDN in front of the API answers when the
//     API is down. The spec (§5 "Error bodies") finds no single error
//     schema; a page like this one is not an API answer at all.
//
// A redirect wins over an error page. Both are set per account
// (SetRedirect, SetErrorPage, /_sandbox/accounts/{a}/redirect and
// /error-page) and start from Options.RedirectTo and Options.ErrorPage.
type edgeState struct {
	mu             sync.Mutex
	redirectTo     string // an origin, "scheme://host[:port]"; "" for none
	redirectStatus int
	pageStatus     int // 0 for none
}

func (e *edgeState) set(to string, status, page int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.redirectTo, e.redirectStatus, e.pageStatus = strings.TrimSuffix(to, "/"), status, page
}

func (e *edgeState) get() (to string, status, page int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.redirectTo, e.redirectStatus, e.pageStatus
}

// redirectStatuses are the statuses a redirect may use.
var redirectStatuses = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

// checkRedirectTarget accepts "" (no redirect) or an absolute http(s) URL
// with a host and no path, query or fragment.
func checkRedirectTarget(to string) error {
	if to == "" {
		return nil
	}
	u, err := url.Parse(to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an origin: use scheme://host[:port], e.g. http://127.0.0.1:9000 (the request's path is kept)", to)
	}
	return nil
}

func checkErrorPage(status int) error {
	if status != 0 && (status < 400 || status > 599) {
		return fmt.Errorf("status %d: an error page is 400 to 599, or 0 for none", status)
	}
	return nil
}

// SetRedirect makes every API request of the account answer status (301,
// 302, 303, 307 or 308; 0 means 302) with Location: to + the request's
// path and query. An empty to stops redirecting.
func (s *Server) SetRedirect(account, to string, status int) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	if status == 0 {
		status = http.StatusFound
	}
	if !redirectStatuses[status] {
		return fmt.Errorf("status %d is not a redirect: use 301, 302, 303, 307 or 308", status)
	}
	if err := checkRedirectTarget(to); err != nil {
		return err
	}
	_, _, page := a.edge.get()
	a.edge.set(to, status, page)
	return nil
}

// SetErrorPage makes every API request of the account answer status (400
// to 599) with an HTML page instead of reaching the API; 0 stops it.
func (s *Server) SetErrorPage(account string, status int) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	if err := checkErrorPage(status); err != nil {
		return err
	}
	to, rs, _ := a.edge.get()
	a.edge.set(to, rs, status)
	return nil
}

// edge answers for the account's API when a redirect or an error page is
// set, before the key is checked.
func (s *Server) edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.account(r.PathValue("account"))
		if a == nil {
			next.ServeHTTP(w, r)
			return
		}
		to, status, page := a.edge.get()
		switch {
		case to != "":
			w.Header().Set("Location", to+r.URL.RequestURI())
			w.WriteHeader(status)
		case page != 0:
			writeErrorPage(w, page)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// writeErrorPage writes the kind of page nginx answers for itself.
func writeErrorPage(w http.ResponseWriter, status int) {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", text, text)
}

func (s *Server) edgeControlRoutes() {
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/redirect", s.ctlRedirect)
	s.mux.HandleFunc("DELETE /_sandbox/accounts/{account}/redirect", func(w http.ResponseWriter, r *http.Request) {
		if name, ok := s.ctlAccount(w, r); ok {
			_ = s.SetRedirect(name, "", 0)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/error-page", s.ctlErrorPage)
	s.mux.HandleFunc("DELETE /_sandbox/accounts/{account}/error-page", func(w http.ResponseWriter, r *http.Request) {
		if name, ok := s.ctlAccount(w, r); ok {
			_ = s.SetErrorPage(name, 0)
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

// ctlRedirect is POST /_sandbox/accounts/{a}/redirect with
// {"to":"http://127.0.0.1:9000","status":302}; "to":"" stops redirecting.
func (s *Server) ctlRedirect(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		To     *string `json:"to"`
		Status int     `json:"status"`
	}) error {
		if in.To == nil {
			return errors.New(`to is required: the origin to redirect to, e.g. "http://127.0.0.1:9000", or "" to stop`)
		}
		return s.SetRedirect(name, *in.To, in.Status)
	})(w, r)
}

// ctlErrorPage is POST /_sandbox/accounts/{a}/error-page with
// {"status":502}; 0 stops it.
func (s *Server) ctlErrorPage(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		Status *int `json:"status"`
	}) error {
		if in.Status == nil {
			return errors.New("status is required: 400 to 599 for an HTML error page on every API request, 0 to stop")
		}
		return s.SetErrorPage(name, *in.Status)
	})(w, r)
}
