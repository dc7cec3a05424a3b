package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autocred/autocred/service"
)

// A "Resume all" result too long for a cookie is cut to fit one: the
// cookie a browser gets stays within the 4,096 bytes browsers keep, so
// the page still says what was resumed (browsers drop a larger cookie,
// and the result with it).
func TestResumeAllResultFitsItsCookie(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 20, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var res service.ResumeAllResult
			for i := range n {
				res.Resumed = append(res.Resumed, service.AutomationOutcome{ID: int64(i), Name: strings.Repeat("R", 40)})
				res.NotResumed = append(res.NotResumed, service.AutomationOutcome{ID: int64(1000 + i), Name: strings.Repeat("N", 40),
					Reason: strings.Repeat("The group no longer exists in this Certifier workspace. ", 3)})
			}
			h := &handler{}
			w := httptest.NewRecorder()
			if err := h.leaveResumed(w, httptest.NewRequest("POST", "/connections/1/resume-automations", nil), "/connections?connection=1", res); err != nil {
				t.Fatal(err)
			}
			cookies := w.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("%d cookies set, want 1", len(cookies))
			}
			if size := len(cookies[0].String()); size > 4096 {
				t.Errorf("the cookie is %d bytes, more than the 4,096 browsers keep", size)
			}
			r := httptest.NewRequest("GET", "/connections", nil)
			r.AddCookie(cookies[0])
			got, ok := h.takeResumed(httptest.NewRecorder(), r)
			if !ok || len(got.Resumed)+len(got.NotResumed) == 0 {
				t.Errorf("the page reads %+v (%v) from the cookie, want what was resumed", got, ok)
			}
		})
	}
}
