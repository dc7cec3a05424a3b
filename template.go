package autocred

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A Template is a mapping value: text with {{tokens}}, such as
// "{{contact.firstName}} {{contact.lastName}}" or "{{today+365d}}".
// Templates are parsed when an automation is saved, so that an unknown
// token is refused then and never fails a run later.
type Template struct {
	src   string
	parts []part
	// date is set for a date input (issue or expiry date): a custom
	// field renders as YYYY-MM-DD there. loc is the automation's time
	// zone, for {{today}} and datetime fields; nil (a template parsed on
	// its own) is UTC. Both are set by ParseMapping and ParseInputs.
	date bool
	loc  *time.Location
}

type part struct {
	text  string // literal text, when token is ""
	token string // the token as written, trimmed: "contact.email", "today+1y"
	kind  tokenKind
	field string // for kindField: the perstag or title after contact.fields.
	// date offset for kindToday
	n    int
	unit byte // 'd', 'm' or 'y'
}

type tokenKind int

const (
	kindText tokenKind = iota
	kindContact
	kindField
	kindSegment
	kindAutomation
	kindToday
)

// contactTokens are the contact properties a template can use.
var contactTokens = []string{"email", "firstName", "lastName", "phone", "id"}

// Tokens lists the tokens a mapping can offer, in the order a picker shows
// them. Custom fields come from the account, as contact.fields.<PERSTAG>.
func Tokens() []string {
	out := make([]string, 0, len(contactTokens)+5)
	for _, t := range contactTokens {
		out = append(out, "contact."+t)
	}
	return append(out, "segment.name", "automation.name", "today", "today+365d", "today+1y")
}

var todayRE = regexp.MustCompile(`^today(?:\+(\d{1,4})([dmy]))?$`)

// maxTemplate bounds a mapping value; Certifier fields are short texts.
const maxTemplate = 1000

// ParseTemplate parses a mapping value. field names the input for errors.
func ParseTemplate(field, src string) (Template, error) {
	if n := utf8.RuneCountInString(src); n > maxTemplate {
		return Template{}, FieldErrorf(field, "is %d characters long; the most is %d", n, maxTemplate)
	}
	t := Template{src: src}
	rest := src
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.parts = append(t.parts, part{text: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{text: rest[:open]})
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return Template{}, FieldErrorf(field, "has a {{ without its closing }}: %q", truncate(rest[open:], 30))
		}
		raw := strings.TrimSpace(rest[open+2 : open+end])
		p, err := parseToken(raw)
		if err != nil {
			return Template{}, FieldErrorf(field, "%s", err.Error())
		}
		t.parts = append(t.parts, p)
		rest = rest[open+end+2:]
	}
	return t, nil
}

func parseToken(raw string) (part, error) {
	p := part{token: raw}
	switch {
	case raw == "":
		return p, fmt.Errorf("has an empty {{}}; pick a token such as {{contact.email}}")
	case strings.HasPrefix(raw, "contact.fields."):
		p.kind, p.field = kindField, strings.TrimPrefix(raw, "contact.fields.")
		if strings.TrimSpace(p.field) == "" {
			return p, fmt.Errorf("{{%s}} names no field; write {{contact.fields.PERSTAG}} with the field's personalization tag or title", raw)
		}
		return p, nil
	case strings.HasPrefix(raw, "contact."):
		name := strings.TrimPrefix(raw, "contact.")
		for _, t := range contactTokens {
			if t == name {
				p.kind = kindContact
				return p, nil
			}
		}
	case raw == "segment.name":
		p.kind = kindSegment
		return p, nil
	case raw == "automation.name":
		p.kind = kindAutomation
		return p, nil
	case strings.HasPrefix(raw, "today"):
		m := todayRE.FindStringSubmatch(raw)
		if m == nil {
			return p, fmt.Errorf("{{%s}} is not a date token: use {{today}}, or {{today+30d}}, {{today+6m}}, {{today+1y}}", raw)
		}
		p.kind = kindToday
		if m[1] != "" {
			p.n, _ = strconv.Atoi(m[1])
			p.unit = m[2][0]
		}
		// The README promises that a date mapping that cannot give
		// YYYY-MM-DD is refused at save: an offset that takes today past
		// the year 9999 would give a five-digit year on every run. Offsets
		// are bounded by maxOffsetYears, not by what today allows, so
		// that one saved today does not start failing in a later year
		// ({{today+7973y}} gives 9999 in 2026 and 10000 in 2027).
		now := time.Now()
		if end := addCalendar(now, p.n, p.unit); end.Year() > maxYear {
			return p, fmt.Errorf("{{%s}} gives a date in the year %d, and Certifier takes only YYYY-MM-DD dates (up to the year %d); use a smaller offset", raw, end.Year(), maxYear)
		} else if end.Year() > now.Year()+maxOffsetYears {
			return p, fmt.Errorf("{{%s}} is more than %d years ahead; use an offset of at most %d years", raw, maxOffsetYears, maxOffsetYears)
		}
		return p, nil
	}
	return p, fmt.Errorf("{{%s}} is not a known token; the tokens are %s, and {{contact.fields.PERSTAG}} for custom fields",
		raw, "{{"+strings.Join(Tokens()[:7], "}}, {{")+"}}, {{today+Nd|m|y}}")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// String returns the template as written.
func (t Template) String() string { return t.src }

// IsZero tells whether the template is empty.
func (t Template) IsZero() bool { return strings.TrimSpace(t.src) == "" }

// Fields lists the custom fields the template uses (as written after
// contact.fields.), so that field values are fetched only when needed.
func (t Template) Fields() []string {
	var out []string
	for _, p := range t.parts {
		if p.kind == kindField {
			out = append(out, p.field)
		}
	}
	return out
}

// IsDate tells whether the template can only produce a YYYY-MM-DD date
// without looking at a contact: a date token or a literal date.
func (t Template) IsDate() bool {
	if len(t.parts) != 1 {
		return false
	}
	p := t.parts[0]
	return p.kind == kindToday || (p.kind == kindText && IsDate(strings.TrimSpace(p.text)))
}

// ValidateDate checks a date mapping at save time: empty, a date token, a
// literal YYYY-MM-DD date, or a single custom-field token whose value is
// checked when the run happens. Anything else could never be a date.
func (t Template) ValidateDate(field string) error {
	if t.IsZero() || t.IsDate() {
		return nil
	}
	if len(t.parts) == 1 && t.parts[0].kind == kindField {
		return nil
	}
	return FieldErrorf(field, "%q is not a date: Certifier takes only YYYY-MM-DD. Use {{today}}, {{today+1y}}, a date such as 2026-12-31, or one {{contact.fields.X}} holding such a date", t.src)
}

// IsDate tells whether s is a real calendar date written YYYY-MM-DD.
func IsDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Contact is what a template can read of a contact.
type Contact struct {
	ID        ContactID
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// Fields holds custom field values as ActiveCampaign stores them, by
	// personalization tag and by title, both lower-cased (see SetField).
	Fields map[string]string
	// FieldTypes holds the type of each field in Fields (FieldDate,
	// FieldCheckbox, …), under the same keys; a value without a type is
	// rendered as text.
	FieldTypes map[string]string `json:",omitempty"`
	// Scanned marks the values in Fields that were read at entry by a
	// scan of their field's values (GET /fieldValues, for a batch of
	// entrants), under the same keys, with the pages that scan read. The
	// entry's first attempt renders them instead of reading the contact's
	// values again, and its log says so; a field without a mark is read
	// for the contact alone (engine/fieldscan.go).
	Scanned map[string]int `json:",omitempty"`
}

// SetField records a custom field value, with its field's type (the
// "type" of GET /fields: FieldText, FieldDatetime, FieldCheckbox, …),
// under its tag and its title, so that {{contact.fields.COURSE_NAME}} and
// {{contact.fields.Course Name}} both find it, whatever the case. The
// value is kept as stored and rendered by its type when a template uses it.
func (c *Contact) SetField(perstag, title, fieldType, value string) {
	if c.Fields == nil {
		c.Fields = map[string]string{}
	}
	if c.FieldTypes == nil {
		c.FieldTypes = map[string]string{}
	}
	set := func(key string) {
		c.Fields[key] = value
		if fieldType != "" {
			c.FieldTypes[key] = fieldType
		} else {
			delete(c.FieldTypes, key)
		}
	}
	if perstag != "" {
		set(strings.ToLower(perstag))
	}
	if title != "" {
		if _, taken := c.Fields[strings.ToLower(title)]; !taken {
			set(strings.ToLower(title))
		}
	}
}

// RenderData is everything a template can refer to.
type RenderData struct {
	Contact    Contact
	Segment    string
	Automation string
	// Today is the instant of the run; its calendar date in the
	// automation's time zone is {{today}}.
	Today time.Time
}

// Render fills the tokens. A field the contact has no value for renders
// empty, as ActiveCampaign shows an unset field; a field with a value is
// rendered by its type (see renderField): options as a list, dates and
// datetimes as YYYY-MM-DD in a date input, datetimes in the automation's
// time zone.
func (t Template) Render(d RenderData) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case kindText:
			b.WriteString(p.text)
		case kindContact:
			b.WriteString(contactValue(d.Contact, strings.TrimPrefix(p.token, "contact.")))
		case kindField:
			key := strings.ToLower(p.field)
			b.WriteString(renderField(d.Contact.FieldTypes[key], d.Contact.Fields[key], t.date, t.loc))
		case kindSegment:
			b.WriteString(d.Segment)
		case kindAutomation:
			b.WriteString(d.Automation)
		case kindToday:
			b.WriteString(addCalendar(localDate(d.Today, t.loc), p.n, p.unit).Format(time.DateOnly))
		}
	}
	return b.String()
}

func contactValue(c Contact, name string) string {
	switch name {
	case "email":
		return c.Email
	case "firstName":
		return c.FirstName
	case "lastName":
		return c.LastName
	case "phone":
		return c.Phone
	case "id":
		return c.ID.String()
	}
	return ""
}

// MarshalText writes the template as written.
func (t Template) MarshalText() ([]byte, error) { return []byte(t.src), nil }
