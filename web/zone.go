package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/autocred/autocred"
)

// The browser's time zone. Every time the UI shows is in it (the script
// rewrites the <time> elements), and so are the days of its charts: the
// script keeps the zone in the "tz" cookie, which the server reads to cut
// the charts' days, so that a run finished at 23:30 on a day counts on
// that day, as the page shows it. Without the cookie (no script) the page
// shows UTC, and the charts' days are UTC's.

type zoneKey struct{}

// zoneCookie is the cookie app.js sets to the browser's zone.
const zoneCookie = "tz"

// withViewerZone reads the browser's zone from its cookie into the
// request's context; a zone that does not load is ignored.
func withViewerZone(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(zoneCookie); err == nil {
			if name, err := url.QueryUnescape(c.Value); err == nil && name != "" {
				if zone, _, err := autocred.LoadTimeZone("tz", name); err == nil {
					r = r.WithContext(context.WithValue(r.Context(), zoneKey{}, zone))
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// viewerZone is the zone the request's page shows its times in: the
// browser's, or UTC when the page does not know it.
func viewerZone(ctx context.Context) string {
	if z, ok := browserZone(ctx); ok {
		return z
	}
	return "UTC"
}

// browserZone is the browser's zone, when its cookie said one.
func browserZone(ctx context.Context) (string, bool) {
	z, _ := ctx.Value(zoneKey{}).(string)
	return z, z != ""
}

// requestZone is the browser's zone of r, "" when its cookie said none.
func requestZone(r *http.Request) string {
	z, _ := browserZone(r.Context())
	return z
}
