package certifier

import (
	"fmt"
	"net/http"
	"slices"
)

// Account-level refusals: answers about the whole workspace or the API
// version, not about one request. Both are off by default.
//
//   - A workspace whose plan lacks issuing answers 402 payment_required to
//     POST /credentials/{id}/issue and POST /credentials/create-issue-send.
//     Certifier's error reference lists 402 payment_required, "the feature
//     needs a premium plan", and the issue endpoint documents it (spec §5:
//     https://developers.certifier.io/reference/errors and
//     …/credentials/issue-a-credential). The sandbox checks the plan right
//     after the token, before the body or the credential is looked at;
//     Certifier does not document that order.
//   - A retired API version is answered 400 invalid_version on every
//     endpoint, like any value Certifier does not recognise (spec §1, §5:
//     https://developers.certifier.io/reference/errors). 2022-10-26 is the
//     only documented value; retiring it models Certifier moving on.

// codePaymentRequired is the 402 code of Certifier's error reference.
const codePaymentRequired = "payment_required"

// paymentRequired is the answer of an issuing call on a plan without it.
func paymentRequired() *apiError {
	return &apiError{http.StatusPaymentRequired, codePaymentRequired, "Issuing credentials is not included in this workspace's plan; upgrade to a premium plan"}
}

// SetPaymentRequired makes workspace answer 402 payment_required to every
// issuing call (issue, create-issue-send) while on, as a workspace on a
// plan without that feature does.
func (s *Server) SetPaymentRequired(name string, on bool) error {
	ws, err := s.workspace(name)
	if err != nil {
		return err
	}
	ws.mu.Lock()
	ws.paymentRequired = on
	ws.mu.Unlock()
	return nil
}

// planRefuses tells whether ws answers an issuing call 402.
func (ws *workspace) planRefuses() *apiError {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.paymentRequired {
		return paymentRequired()
	}
	return nil
}

// SetRetiredVersions makes the API answer 400 invalid_version to requests
// whose Certifier-Version is one of versions (nil: none is retired).
func (s *Server) SetRetiredVersions(versions []string) error {
	for _, v := range versions {
		if v != apiVersion {
			return fmt.Errorf("version %q: only %s is recognised, so only it can be retired", v, apiVersion)
		}
	}
	s.mu.Lock()
	s.retired = slices.Clone(versions)
	s.mu.Unlock()
	return nil
}

// versionRetired tells whether v has been retired.
func (s *Server) versionRetired(v string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Contains(s.retired, v)
}

func (s *Server) controlPaymentRequired(w http.ResponseWriter, r *http.Request) {
	name, ok := s.controlWorkspace(w, r)
	if !ok {
		return
	}
	var body struct {
		On bool `json:"on"`
	}
	if !decodeControl(w, r, &body) {
		return
	}
	if err := s.SetPaymentRequired(name, body.On); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) controlRetiredVersions(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Retired []string `json:"retired"`
	}
	if !decodeControl(w, r, &body) {
		return
	}
	if err := s.SetRetiredVersions(body.Retired); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, body)
}
