package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// openAPIDoc is what the test reads of the document.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Enum []string `json:"enum"`
		} `json:"schemas"`
		SecuritySchemes map[string]any `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	Security  *[]any                     `json:"security"`
	Responses map[string]json.RawMessage `json:"responses"`
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Config{Tokens: stubTokens{}}))
	defer srv.Close()
	a := &apiTest{t: t, url: srv.URL}
	r := a.callAuth("", "GET", "/api/v1/openapi.json", nil)
	var doc openAPIDoc
	r.ok(t, http.StatusOK, &doc)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != prefix || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Fatalf("document head: %+v", doc)
	}
	for _, s := range []string{"Connection", "Automation", "Run", "Error"} {
		if _, ok := doc.Components.Schemas[s]; !ok {
			t.Errorf("no schema %s", s)
		}
	}

	h := &handler{}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	check := func(rt route, public bool) {
		key := rt.method + " " + rt.path
		if !documented[key] {
			t.Errorf("%s is not documented", key)
			return
		}
		delete(documented, key)
		var op openAPIOperation
		if err := json.Unmarshal(doc.Paths[rt.path][strings.ToLower(rt.method)], &op); err != nil {
			t.Fatal(err)
		}
		if isPublic := op.Security != nil && len(*op.Security) == 0; isPublic != public {
			t.Errorf("%s: documented public %v, is public %v", key, isPublic, public)
		}
		if _, ok := op.Responses["401"]; !public && !ok {
			t.Errorf("%s: no 401 documented", key)
		}
		if _, ok := op.Responses["500"]; !public && !ok {
			t.Errorf("%s: no 500 documented", key)
		}
	}
	for _, rt := range h.routes() {
		check(rt, false)
	}
	for _, rt := range h.publicRoutes() {
		check(rt, true)
	}
	for key := range documented {
		t.Errorf("%s is documented but not served", key)
	}

	var whole any
	if err := json.Unmarshal(openAPI, &whole); err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs(whole) {
		if resolve(whole, ref) == nil {
			t.Errorf("$ref %s leads nowhere", ref)
		}
	}

	var statuses []string
	for _, s := range autocred.RunStatuses {
		statuses = append(statuses, string(s))
	}
	if got := doc.Components.Schemas["RunStatus"].Enum; !slices.Equal(got, statuses) {
		t.Errorf("RunStatus enum %v, want %v", got, statuses)
	}
	var codes []string
	for _, c := range autocred.RunErrorCodes {
		codes = append(codes, string(c))
	}
	if got := doc.Components.Schemas["RunErrorCode"].Enum; !slices.Equal(got, codes) {
		t.Errorf("RunErrorCode enum %v, want %v", got, codes)
	}
	if got := doc.Components.Schemas["ErrorCode"].Enum; !slices.Equal(got, autocred.ErrorCodes) {
		t.Errorf("ErrorCode enum %v, want %v", got, autocred.ErrorCodes)
	}
}

// refs lists the $ref values in a JSON document.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				out = append(out, s)
			}
			out = append(out, refs(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, refs(x)...)
		}
	}
	return out
}

// resolve follows a local reference such as #/components/schemas/Run.
func resolve(doc any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	for _, name := range strings.Split(ref[2:], "/") {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[name]
	}
	return doc
}
