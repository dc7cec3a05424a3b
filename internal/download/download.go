// Package download answers an HTTP request with a file that is written as
// it is made (an export of many rows), so that neither the file nor its
// rows are held in memory.
package download

import "net/http"

// Attachment is a response that becomes a file download at its first
// write: until then nothing is sent, so an error found before the first
// byte still gets an ordinary error answer (check Started).
type Attachment struct {
	W           http.ResponseWriter
	Filename    string // offered to the browser; plain ASCII, no quotes
	ContentType string // e.g. "text/csv; charset=utf-8"
	started     bool
}

// Write sends the headers the first time, then p.
func (a *Attachment) Write(p []byte) (int, error) {
	if !a.started {
		a.started = true
		h := a.W.Header()
		h.Set("Content-Type", a.ContentType)
		h.Set("Content-Disposition", `attachment; filename="`+a.Filename+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		a.W.WriteHeader(http.StatusOK)
	}
	return a.W.Write(p)
}

// Flush sends what is written so far, so that the client sees a long
// download progress.
func (a *Attachment) Flush() {
	if a.started {
		_ = http.NewResponseController(a.W).Flush()
	}
}

// Started tells whether the status and headers are sent: after that, an
// error can only cut the file short.
func (a *Attachment) Started() bool { return a.started }

// Abort ends a started download so that the client sees it cut short
// rather than a complete file: the connection is closed before the end of
// the body (a chunked body without its last chunk). It panics with
// http.ErrAbortHandler, which net/http recovers without logging; call it
// only from a handler, after logging why.
func (a *Attachment) Abort() { panic(http.ErrAbortHandler) }
