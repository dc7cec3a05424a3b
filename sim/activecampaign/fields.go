package activecampaign

import (
	"net/http"
	"strings"
	"time"
	"unicode"
)

// field is a custom contact field definition.
type field struct {
	title, perstag, typ string
	cdate               time.Time
}

var fieldTypes = map[string]bool{
	"text": true, "textarea": true, "date": true, "datetime": true, "dropdown": true,
	"multiselect": true, "radio": true, "checkbox": true, "hidden": true, "listbox": true,
}

// perstagFor derives a personalization tag from a title the way the app
// does: upper case, anything but letters and digits becomes "_".
func perstagFor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(title)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ensureField returns the id of the field with perstag, creating it (type
// text, titled from the perstag) when missing. Callers hold a.mu.
func (a *account) ensureField(perstag, title string, now time.Time) int32 {
	perstag = strings.ToUpper(strings.TrimSpace(perstag))
	if id, ok := a.fieldByTag[perstag]; ok {
		return id
	}
	if title == "" {
		title = perstag
	}
	a.fields = append(a.fields, field{title: title, perstag: perstag, typ: "text", cdate: now})
	id := int32(len(a.fields))
	a.fieldByTag[perstag] = id
	return id
}

// setField creates or updates a contact's value for a field and returns
// the fieldValue id. A datetime value with an offset is stored in the
// account's time zone, as the real API does: "Datetime field values will
// be converted to your account's timezone when saved" (sending
// 2024-11-01T13:05:00-06:00 to a Chicago account in November stores
// 2024-11-01T14:05:00-05:00; create-fieldvalue reference,
// https://developers.activecampaign.com/reference/create-fieldvalue).
func (a *account) setField(id int64, c *contact, fieldID int32, value string, now time.Time) int64 {
	if fieldID >= 1 && int(fieldID) <= len(a.fields) && a.fields[fieldID-1].typ == "datetime" {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(value)); err == nil {
			value = a.v3(t)
		}
	}
	value = a.intern(value)
	for i := range c.fields {
		if c.fields[i].field == fieldID {
			c.fields[i].value = value
			c.fields[i].udate = toSecs(now)
			return c.fields[i].id
		}
	}
	fv := fieldValue{id: a.fieldValueIDs.next(), value: value, field: fieldID, cdate: toSecs(now), udate: toSecs(now)}
	c.fields = append(c.fields, fv)
	return fv.id
}

type fieldJSON struct {
	Title      string            `json:"title"`
	Descript   *string           `json:"descript"`
	Type       string            `json:"type"`
	IsRequired string            `json:"isrequired"`
	Perstag    string            `json:"perstag"`
	Defval     string            `json:"defval"`
	ShowInList string            `json:"show_in_list"`
	Rows       string            `json:"rows"`
	Cols       string            `json:"cols"`
	Visible    string            `json:"visible"`
	Service    string            `json:"service"`
	Ordernum   string            `json:"ordernum"`
	CDate      string            `json:"cdate"`
	UDate      string            `json:"udate"`
	Options    []any             `json:"options"`
	Relations  []string          `json:"relations"`
	Links      map[string]string `json:"links"`
	ID         string            `json:"id"`
}

func (a *account) renderField(base string, id int32) fieldJSON {
	f := a.fields[id-1]
	sid := itoa(int64(id))
	return fieldJSON{
		Title: f.title, Type: f.typ, IsRequired: "0", Perstag: f.perstag, ShowInList: "0", Rows: "0", Cols: "0",
		Visible: "1", Ordernum: sid, CDate: a.v3(f.cdate), UDate: a.v3(f.cdate),
		Options: []any{}, Relations: []string{sid},
		Links: map[string]string{"options": base + "/fields/" + sid + "/options", "relations": base + "/fields/" + sid + "/relations"},
		ID:    sid,
	}
}

// fieldRel ties a field to "all lists" (relid 0), as accounts' fields are.
func (a *account) renderFieldRel(base string, id int32) map[string]any {
	sid := itoa(int64(id))
	return map[string]any{"field": sid, "relid": "0", "dorder": sid, "cdate": a.v3(a.fields[id-1].cdate),
		"links": map[string]string{}, "id": sid}
}

func (s *Server) listFields(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	limit, offset := pageParams(q)
	perstag := strings.ToUpper(strings.TrimSpace(q.Get("filters[perstag]")))
	a.mu.RLock()
	defer a.mu.RUnlock()
	var ids []int32
	for i, f := range a.fields {
		if perstag == "" || f.perstag == perstag {
			ids = append(ids, int32(i+1))
		}
	}
	base := apiBase(r, a)
	lo, hi := pageBounds(len(ids), limit, offset)
	fields, rels := make([]fieldJSON, 0, hi-lo), make([]map[string]any, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		fields = append(fields, a.renderField(base, id))
		rels = append(rels, a.renderFieldRel(base, id))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"fieldOptions": []any{}, "fieldRels": rels, "fields": fields,
		"meta": map[string]string{"total": itoa(int64(len(ids)))},
	})
}

func (s *Server) createField(w http.ResponseWriter, r *http.Request, a *account) {
	var in struct {
		Field *struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Perstag string `json:"perstag"`
		} `json:"field"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Field == nil || strings.TrimSpace(in.Field.Title) == "" {
		writeAttrError(w, http.StatusUnprocessableEntity, "Field title is required", "field_missing", "title")
		return
	}
	typ := strings.ToLower(in.Field.Type)
	if typ == "" {
		typ = "text"
	}
	if !fieldTypes[typ] {
		writeAttrError(w, http.StatusUnprocessableEntity, "Field type "+in.Field.Type+" is not valid", "field_invalid", "type")
		return
	}
	perstag := strings.ToUpper(strings.TrimSpace(in.Field.Perstag))
	if perstag == "" {
		perstag = perstagFor(in.Field.Title)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.fieldByTag[perstag]; ok {
		writeAttrError(w, http.StatusUnprocessableEntity, "Personalization tag "+perstag+" is already in use", "duplicate", "perstag")
		return
	}
	id := a.ensureField(perstag, strings.TrimSpace(in.Field.Title), s.now())
	a.fields[id-1].typ = typ
	writeJSON(w, http.StatusCreated, map[string]any{"field": a.renderField(apiBase(r, a), id)})
}

type fieldValueJSON struct {
	Contact   string            `json:"contact"`
	Field     string            `json:"field"`
	Value     string            `json:"value"`
	CDate     string            `json:"cdate"`
	UDate     string            `json:"udate"`
	CreatedBy *string           `json:"created_by"`
	UpdatedBy *string           `json:"updated_by"`
	Links     map[string]string `json:"links"`
	ID        string            `json:"id"`
	Owner     string            `json:"owner"`
}

func (a *account) renderFieldValue(base string, contactID int64, fv fieldValue) fieldValueJSON {
	sid := itoa(fv.id)
	return fieldValueJSON{
		Contact: itoa(contactID), Field: itoa(int64(fv.field)), Value: fv.value,
		CDate: a.v3(fv.cdate.time()), UDate: a.v3(fv.udate.time()),
		Links: map[string]string{"owner": base + "/fieldValues/" + sid + "/owner", "field": base + "/fieldValues/" + sid + "/field"},
		ID:    sid, Owner: itoa(contactID),
	}
}

func (a *account) renderFieldValues(base string, id int64, c *contact) []fieldValueJSON {
	out := make([]fieldValueJSON, 0, len(c.fields))
	for _, fv := range c.fields {
		out = append(out, a.renderFieldValue(base, id, fv))
	}
	return out
}

// contactFieldValues is GET /contacts/{id}/fieldValues. It pages like
// every v3 collection (limit 20 by default, at most 100, offset, meta.total
// as a string): whether this endpoint pages is undocumented, and
// integrations have lost field values past the 20th (spec §7, "Collections
// page at 20"), so paging it is the reading that a client must survive.
func (s *Server) contactFieldValues(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	limit, offset := pageParams(r.URL.Query())
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := a.contact(id)
	if c == nil {
		writeNoResult(w, "Subscriber", r.PathValue("id"))
		return
	}
	lo, hi := pageBounds(len(c.fields), limit, offset)
	base := apiBase(r, a)
	fvs := make([]fieldValueJSON, 0, hi-lo)
	for _, fv := range c.fields[lo:hi] {
		fvs = append(fvs, a.renderFieldValue(base, id, fv))
	}
	writeJSON(w, http.StatusOK, map[string]any{"fieldValues": fvs, "meta": map[string]string{"total": itoa(int64(len(c.fields)))}})
}
