package autocred

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		src, wantInMessage string
	}{
		{"{{contact.email", "without its closing }}"},
		{"{{}}", "empty {{}}"},
		{"{{contact.middleName}}", "not a known token"},
		{"{{Column A}}", "not a known token"},
		{"{{today+1w}}", "not a date token"},
		{"{{today-1d}}", "not a date token"},
		{"{{contact.fields.}}", "names no field"},
		{strings.Repeat("x", 1001), "the most is 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := ParseTemplate("action.recipient_name", tt.src)
			if err == nil {
				t.Fatal("parsed; want an error")
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("error = %v; want code invalid and %q", err, tt.wantInMessage)
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != "action.recipient_name" {
				t.Errorf("error does not name the field: %#v", err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	data := RenderData{
		Contact: Contact{ID: 42, Email: "ana@example.com", FirstName: "Ana", LastName: "Lee", Phone: "+1 555"},
		Segment: "Course Completers", Automation: "Certificates",
		Today: time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC),
	}
	data.Contact.SetField("COURSE_NAME", "Course Name", FieldText, "Go 101")
	tests := []struct{ src, want string }{
		{"{{contact.firstName}} {{contact.lastName}}", "Ana Lee"},
		{"{{ contact.email }}", "ana@example.com"},
		{"#{{contact.id}} {{contact.phone}}", "#42 +1 555"},
		{"{{contact.fields.COURSE_NAME}}", "Go 101"},
		{"{{contact.fields.course_name}}", "Go 101"},
		{"{{contact.fields.Course Name}}", "Go 101"},
		{"{{contact.fields.UNSET}}", ""},
		{"{{segment.name}} / {{automation.name}}", "Course Completers / Certificates"},
		{"{{today}}", "2026-01-31"},
		{"{{today+1d}}", "2026-02-01"},
		{"{{today+1m}}", "2026-02-28"}, // clamped to February's last day (Go's AddDate gives Mar 3)
		{"{{today+2y}}", "2028-01-31"},
		{"{{today+365d}}", "2027-01-31"},
		{"plain text", "plain text"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tpl, err := ParseTemplate("f", tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.Render(data); got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
			if tpl.String() != tt.src {
				t.Errorf("String = %q", tpl.String())
			}
		})
	}
}

func TestTemplateFields(t *testing.T) {
	tpl, err := ParseTemplate("f", "{{contact.fields.COURSE}} at {{contact.fields.Grade}} by {{contact.email}}")
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.Fields(); !slices.Equal(got, []string{"COURSE", "Grade"}) {
		t.Errorf("Fields = %v", got)
	}
	plain, _ := ParseTemplate("f", "{{contact.email}}")
	if len(plain.Fields()) != 0 {
		t.Error("a template without field tokens reports fields, so values would be fetched for nothing")
	}
}

func TestValidateDate(t *testing.T) {
	tests := []struct {
		src string
		ok  bool
	}{
		{"", true},
		{"{{today}}", true},
		{"{{today+1y}}", true},
		{"2026-12-31", true},
		{" 2026-12-31 ", true},
		{"{{contact.fields.EXPIRES}}", true},
		{"2026-02-30", false},
		{"31/12/2026", false},
		{"{{contact.firstName}}", false},
		{"{{today}} {{today}}", false},
		{"next year", false},
	}
	for _, tt := range tests {
		tpl, err := ParseTemplate("action.expiry_date", tt.src)
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		err = tpl.ValidateDate("action.expiry_date")
		if (err == nil) != tt.ok {
			t.Errorf("ValidateDate(%q) = %v, want ok=%v", tt.src, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("error %q does not say which format to use", err)
		}
	}
}

func TestTokensAllParse(t *testing.T) {
	for _, tok := range Tokens() {
		if _, err := ParseTemplate("f", "{{"+tok+"}}"); err != nil {
			t.Errorf("offered token %q does not parse: %v", tok, err)
		}
	}
}
