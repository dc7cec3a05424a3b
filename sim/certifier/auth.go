package certifier

import (
	"net/http"
	"strings"
)

// apiVersion is the only Certifier-Version the spec documents (§1).
const apiVersion = "2022-10-26"

// authenticate checks a request the way Certifier orders its checks: the
// version header first (400 missing_version / invalid_version), then the
// bearer token (401 unauthorized), and returns the token's workspace.
func (s *Server) authenticate(r *http.Request) (*workspace, *apiError) {
	switch v := r.Header.Get("Certifier-Version"); {
	case v == "":
		return nil, &apiError{http.StatusBadRequest, codeMissingVersion, "The Certifier-Version header is required; send Certifier-Version: " + apiVersion}
	case s.versionRetired(v):
		return nil, &apiError{http.StatusBadRequest, codeInvalidVersion, "Certifier-Version " + quote(v) + " is not a recognised version"}
	case v != apiVersion:
		return nil, &apiError{http.StatusBadRequest, codeInvalidVersion, "Certifier-Version " + quote(v) + " is not a recognised version; use " + apiVersion}
	}
	token, ok := bearerToken(r)
	if !ok {
		return nil, &apiError{http.StatusUnauthorized, codeUnauthorized, "An access token is required: send Authorization: Bearer <token>"}
	}
	s.mu.RLock()
	ws := s.tokens[token]
	s.mu.RUnlock()
	if ws == nil {
		return nil, &apiError{http.StatusUnauthorized, codeUnauthorized, "The access token is invalid or has been revoked"}
	}
	return ws, nil
}

// accountOf names the workspace a request spends the rate budget of, for
// the Gate; "" when the token is missing or unknown.
func (s *Server) accountOf(r *http.Request) string {
	token, ok := bearerToken(r)
	if !ok {
		return ""
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ws := s.tokens[token]; ws != nil {
		return ws.name
	}
	return ""
}

// bearerToken reads "Authorization: Bearer <token>"; the scheme is
// case-insensitive, as RFC 6750 says.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// quote shows a header value in a message, cut short so that a huge header
// cannot make a huge answer.
func quote(v string) string {
	const limit = 64
	if len(v) > limit {
		v = v[:limit] + "…"
	}
	return `"` + v + `"`
}
