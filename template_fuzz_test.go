package autocred

import (
	"strings"
	"testing"
	"time"
)

// FuzzTemplate: any mapping value either is refused with an invalid-input
// error naming the field, or parses into a template that renders without
// panicking and keeps its literal text.
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		"{{contact.firstName}} {{contact.lastName}}", "{{contact.fields.COURSE_NAME}}", "{{today+365d}}",
		"{{ today }}", "{{", "}}", "{{}}", "{{contact.fields.}}", "a{{b}}c", "{{today+99999d}}", "plain",
	} {
		f.Add(seed)
	}
	data := RenderData{Contact: Contact{ID: 1, Email: "a@example.com", FirstName: "A"}, Segment: "S", Automation: "X",
		Today: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := ParseTemplate("f", src)
		if err != nil {
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "f:") {
				t.Fatalf("ParseTemplate(%q) = %v; want an invalid-input error naming the field", src, err)
			}
			return
		}
		out := tpl.Render(data)
		if !strings.Contains(src, "{{") && out != src {
			t.Fatalf("text without tokens rendered %q as %q", src, out)
		}
		_ = tpl.ValidateDate("f")
	})
}
