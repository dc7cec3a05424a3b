package traffic

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Limits is the body of the control API's limits endpoint.
type Limits struct {
	RatePerSecond *int `json:"rate_per_second,omitempty"`
	LimitStatus   *int `json:"limit_status,omitempty"`
}

// RegisterControl adds the sandbox-only endpoints that drive this Gate under
// prefix (e.g. "/_sandbox"): GET/PUT {prefix}/faults, GET/PUT {prefix}/limits,
// GET {prefix}/counters and POST {prefix}/counters/reset. They are not
// guarded by the Gate: tests must be able to read counters during a storm.
func (g *Gate) RegisterControl(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"rules": g.Rules()})
	})
	mux.HandleFunc("PUT "+prefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Rules []Rule `json:"rules"`
		}
		if err := decodeStrict(r, &body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if err := g.SetRules(body.Rules); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"rules": g.Rules()})
	})
	mux.HandleFunc("GET "+prefix+"/limits", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		rate, status := g.cfg.RatePerSecond, g.cfg.LimitStatus
		g.mu.Unlock()
		writeJSON(w, http.StatusOK, Limits{RatePerSecond: &rate, LimitStatus: &status})
	})
	mux.HandleFunc("PUT "+prefix+"/limits", func(w http.ResponseWriter, r *http.Request) {
		var l Limits
		if err := decodeStrict(r, &l); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if l.RatePerSecond != nil && *l.RatePerSecond < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "rate_per_second cannot be negative (0 turns the limit off)"})
			return
		}
		if l.LimitStatus != nil {
			if err := g.SetLimitStatus(*l.LimitStatus); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
		}
		if l.RatePerSecond != nil {
			g.SetRatePerSecond(*l.RatePerSecond)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+prefix+"/counters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, g.Stats())
	})
	mux.HandleFunc("POST "+prefix+"/counters/reset", func(w http.ResponseWriter, r *http.Request) {
		g.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}

func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
