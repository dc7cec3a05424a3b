package api

import (
	_ "embed"
	"net/http"
)

// openAPI describes the API. It is written by hand, and a test holds it to
// the route table both ways.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
	return nil
}
