package activecampaign

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// contact is kept compact: a million of them must fit well under a GiB.
// Tags, field values and list memberships are small slices, not maps.
type contact struct {
	email, firstName, lastName, phone string
	cdate, udate                      int64 // unix nanoseconds
	tags                              []tagLink
	fields                            []fieldValue
	lists                             []listLink
	deleted                           bool
}

// secs is a Unix time in seconds, enough for the sub-records' dates and
// half the size of a time.Time's wall clock.
type secs uint32

func toSecs(t time.Time) secs     { return secs(t.Unix()) }
func (s secs) time() time.Time    { return time.Unix(int64(s), 0) }
func nanoTime(ns int64) time.Time { return time.Unix(0, ns) }

type tagLink struct {
	id    int64 // contactTag id
	tag   int32
	cdate secs
}

type fieldValue struct {
	id           int64 // fieldValue id
	value        string
	field        int32
	cdate, udate secs
}

type listLink struct {
	id           int64 // contactList id
	list         int32
	status       int8 // 1 subscribed, 2 unsubscribed
	sdate, udate secs
}

func (c *contact) hasTag(tag int32) bool {
	for _, t := range c.tags {
		if t.tag == tag {
			return true
		}
	}
	return false
}

func (c *contact) fieldValue(field int32) (string, bool) {
	for _, f := range c.fields {
		if f.field == field {
			return f.value, true
		}
	}
	return "", false
}

func (c *contact) listStatus(list int32) int8 {
	for _, l := range c.lists {
		if l.list == list {
			return l.status
		}
	}
	return 0
}

// addContact stores a new contact and returns its id. Callers hold a.mu.
func (a *account) addContact(email, first, last, phone string, cdate time.Time) int64 {
	email = strings.TrimSpace(email)
	a.contacts = append(a.contacts, contact{
		email: email, firstName: first, lastName: last, phone: phone,
		cdate: cdate.UnixNano(), udate: cdate.UnixNano(),
	})
	id := int64(len(a.contacts))
	if email != "" {
		a.byEmail[lower(email)] = id
	}
	a.live++
	return id
}

// setEmail changes a contact's email, keeping the email index right.
func (a *account) setEmail(id int64, c *contact, email string) {
	email = strings.TrimSpace(email)
	if c.email != "" && a.byEmail[lower(c.email)] == id {
		delete(a.byEmail, lower(c.email))
	}
	c.email = email
	if email != "" {
		a.byEmail[lower(email)] = id
	}
}

// emailOwner returns the live contact using email, or 0.
func (a *account) emailOwner(email string) int64 {
	id := a.byEmail[lower(email)]
	if a.contact(id) == nil {
		return 0
	}
	return id
}

// deleteContact removes a contact and its sub-records.
func (a *account) deleteContact(id int64, c *contact) {
	if c.email != "" && a.byEmail[lower(c.email)] == id {
		delete(a.byEmail, lower(c.email))
	}
	for _, t := range c.tags {
		a.tags[t.tag-1].count--
	}
	*c = contact{deleted: true}
	a.live--
}

// contactJSON is a contact as the v3 API renders it: every value a string,
// dates with the account's offset, unknown values null.
type contactJSON struct {
	CDate               string            `json:"cdate"`
	Email               string            `json:"email"`
	Phone               string            `json:"phone"`
	FirstName           string            `json:"firstName"`
	LastName            string            `json:"lastName"`
	Orgid               string            `json:"orgid"`
	Orgname             string            `json:"orgname"`
	SegmentioID         string            `json:"segmentio_id"`
	BouncedHard         string            `json:"bounced_hard"`
	BouncedSoft         string            `json:"bounced_soft"`
	BouncedDate         *string           `json:"bounced_date"`
	IP                  string            `json:"ip"`
	UA                  *string           `json:"ua"`
	Hash                string            `json:"hash"`
	SocialdataLastcheck *string           `json:"socialdata_lastcheck"`
	EmailLocal          string            `json:"email_local"`
	EmailDomain         string            `json:"email_domain"`
	Sentcnt             string            `json:"sentcnt"`
	RatingTstamp        *string           `json:"rating_tstamp"`
	Gravatar            string            `json:"gravatar"`
	Deleted             string            `json:"deleted"`
	Anonymized          string            `json:"anonymized"`
	ADate               *string           `json:"adate"`
	UDate               string            `json:"udate"`
	EDate               *string           `json:"edate"`
	DeletedAt           *string           `json:"deleted_at"`
	CreatedUTC          string            `json:"created_utc_timestamp"`
	UpdatedUTC          string            `json:"updated_utc_timestamp"`
	CreatedTimestamp    string            `json:"created_timestamp"`
	UpdatedTimestamp    string            `json:"updated_timestamp"`
	CreatedBy           *string           `json:"created_by"`
	UpdatedBy           *string           `json:"updated_by"`
	MPPTracking         string            `json:"mpp_tracking"`
	ScoreValues         []string          `json:"scoreValues"`
	Links               map[string]string `json:"links"`
	ID                  string            `json:"id"`
	Organization        *string           `json:"organization"`
}

var contactLinks = []string{
	"bounceLogs", "contactAutomations", "contactData", "contactGoals", "contactLists", "contactLogs",
	"contactTags", "contactDeals", "deals", "fieldValues", "geoIps", "notes", "organization",
	"plusAppend", "trackingLogs", "scoreValues", "accountContacts", "automationEntryCounts",
}

func (a *account) v3(t time.Time) string { return t.In(a.loc).Format("2006-01-02T15:04:05-07:00") }

func (a *account) renderContact(base string, id int64, c *contact) contactJSON {
	local, domain, _ := strings.Cut(c.email, "@")
	sum := md5.Sum([]byte(itoa(id) + "/" + c.email))
	links := make(map[string]string, len(contactLinks))
	for _, l := range contactLinks {
		links[l] = base + "/contacts/" + itoa(id) + "/" + l
	}
	cdate, udate := nanoTime(c.cdate), nanoTime(c.udate)
	return contactJSON{
		CDate: a.v3(cdate), Email: c.email, Phone: c.phone, FirstName: c.firstName, LastName: c.lastName,
		Orgid: "0", BouncedHard: "0", BouncedSoft: "0", IP: "0", Hash: hex.EncodeToString(sum[:]),
		EmailLocal: local, EmailDomain: domain, Sentcnt: "0", Gravatar: "0", Deleted: "0", Anonymized: "0",
		UDate:      a.v3(udate),
		CreatedUTC: cdate.UTC().Format(time.DateTime), UpdatedUTC: udate.UTC().Format(time.DateTime),
		CreatedTimestamp: cdate.In(a.loc).Format(time.DateTime), UpdatedTimestamp: udate.In(a.loc).Format(time.DateTime),
		MPPTracking: "0", ScoreValues: []string{}, Links: links, ID: itoa(id),
	}
}

// contactInput is the body of POST and PUT /contacts. Pointers tell "not
// sent" from "set to empty" on PUT.
type contactInput struct {
	Contact *struct {
		Email       *string           `json:"email"`
		FirstName   *string           `json:"firstName"`
		LastName    *string           `json:"lastName"`
		Phone       *string           `json:"phone"`
		FieldValues []fieldValueInput `json:"fieldValues"`
	} `json:"contact"`
}

type fieldValueInput struct {
	Field flexID     `json:"field"`
	Value flexString `json:"value"`
}

// checkFieldInputs rejects field values for fields that do not exist.
func (a *account) checkFieldInputs(w http.ResponseWriter, fvs []fieldValueInput) bool {
	for _, fv := range fvs {
		if fv.Field < 1 || int(fv.Field) > len(a.fields) {
			writeErrors(w, http.StatusUnprocessableEntity, apiError{Title: "Field not found", Detail: "No custom field with id " + itoa(int64(fv.Field)), Code: "field_invalid", Source: &errSource{Pointer: "/data/attributes/fieldValues"}})
			return false
		}
	}
	return true
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	var in contactInput
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Contact == nil {
		writeAttrError(w, http.StatusUnprocessableEntity, "Missing attribute", "field_missing", "contact")
		return
	}
	body := in.Contact
	now := s.now()
	a.mu.Lock()
	c := a.contact(id)
	if c == nil {
		a.mu.Unlock()
		writeNoResult(w, "Subscriber", r.PathValue("id"))
		return
	}
	if body.Email != nil {
		if !validEmail(*body.Email) {
			a.mu.Unlock()
			writeErrors(w, http.StatusUnprocessableEntity, apiError{Title: "Contact Email Address is not valid.", Code: "email_invalid", Source: &errSource{Pointer: "/data/attributes/email"}})
			return
		}
		if owner := a.emailOwner(*body.Email); owner != 0 && owner != id {
			a.mu.Unlock()
			writeErrors(w, http.StatusUnprocessableEntity, apiError{Title: "Email address already exists in the system.", Code: "duplicate", Source: &errSource{Pointer: "/data/attributes/email"}})
			return
		}
	}
	if !a.checkFieldInputs(w, body.FieldValues) {
		a.mu.Unlock()
		return
	}
	if body.Email != nil {
		a.setEmail(id, c, *body.Email)
	}
	set := func(dst, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.firstName, body.FirstName)
	set(&c.lastName, body.LastName)
	set(&c.phone, body.Phone)
	for _, fv := range body.FieldValues {
		a.setField(id, c, int32(fv.Field), string(fv.Value), now)
	}
	c.udate = now.UnixNano()
	base := apiBase(r, a)
	resp := map[string]any{"fieldValues": a.renderFieldValues(base, id, c), "contact": a.renderContact(base, id, c)}
	ds := a.contactEvents(eventUpdate, sourceAPI, id, c, 0, now, nil)
	a.mu.Unlock()
	s.hooks.enqueue(ds)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.contact(id)
	if c == nil {
		writeNoResult(w, "Subscriber", r.PathValue("id"))
		return
	}
	a.deleteContact(id, c)
	writeJSON(w, http.StatusOK, map[string]any{})
}

// contactFilter holds the GET /contacts filters that narrow the result.
type contactFilter struct {
	ids               map[int64]bool
	email, emailLike  string
	search, phone     string
	idGreater, idLess int64
	tag, list         int32 // -1: the named tag or list does not exist
	status            int8  // list status with listid; 0 any
	createdAfter      time.Time
	createdBefore     time.Time
	updatedAfter      time.Time
	updatedBefore     time.Time
}

func (f *contactFilter) match(id int64, c *contact) bool {
	switch {
	case f.ids != nil && !f.ids[id],
		f.idGreater > 0 && id <= f.idGreater,
		f.idLess > 0 && id >= f.idLess,
		f.email != "" && !strings.EqualFold(c.email, f.email),
		f.emailLike != "" && !strings.Contains(strings.ToLower(c.email), f.emailLike),
		f.phone != "" && !strings.Contains(c.phone, f.phone),
		f.tag < 0 || f.list < 0,
		f.tag > 0 && !c.hasTag(f.tag),
		!f.createdAfter.IsZero() && c.cdate < f.createdAfter.UnixNano(),
		!f.createdBefore.IsZero() && c.cdate >= f.createdBefore.UnixNano(),
		!f.updatedAfter.IsZero() && c.udate < f.updatedAfter.UnixNano(),
		!f.updatedBefore.IsZero() && c.udate >= f.updatedBefore.UnixNano():
		return false
	}
	if f.list > 0 {
		st := c.listStatus(f.list)
		if st == 0 || (f.status != 0 && st != f.status) {
			return false
		}
	}
	if f.search != "" {
		hay := strings.ToLower(c.email + " " + c.firstName + " " + c.lastName + " " + c.phone)
		if !strings.Contains(hay, f.search) {
			return false
		}
	}
	return true
}

// readContactFilter parses the filters; a date it cannot read is a 400.
func (a *account) readContactFilter(r *http.Request) (*contactFilter, string) {
	q := r.URL.Query()
	f := &contactFilter{
		email:     strings.TrimSpace(q.Get("email")),
		emailLike: lower(q.Get("email_like")),
		search:    lower(q.Get("search")),
		phone:     strings.TrimSpace(q.Get("phone")),
	}
	var ids []string
	ids = append(ids, q["ids[]"]...)
	ids = append(ids, q["ids"]...)
	if len(ids) > 0 {
		f.ids = map[int64]bool{}
		for _, v := range ids {
			for _, p := range strings.Split(v, ",") {
				if n, ok := parseID(strings.TrimSpace(p)); ok {
					f.ids[n] = true
				}
			}
		}
	}
	f.idGreater, _ = parseID(q.Get("id_greater"))
	f.idLess, _ = parseID(q.Get("id_less"))
	if v := q.Get("tagid"); v != "" && v != "0" {
		f.tag = -1
		if n, ok := parseID(v); ok && n <= int64(len(a.tags)) {
			f.tag = int32(n)
		}
	}
	if v := q.Get("listid"); v != "" && v != "0" {
		f.list = -1
		if n, ok := parseID(v); ok && n <= int64(len(a.lists)) {
			f.list = int32(n)
		}
		switch q.Get("status") {
		case "1":
			f.status = 1
		case "2":
			f.status = 2
		}
	}
	for key, dst := range map[string]*time.Time{
		"filters[created_after]": &f.createdAfter, "filters[created_before]": &f.createdBefore,
		"filters[updated_after]": &f.updatedAfter, "filters[updated_before]": &f.updatedBefore,
	} {
		if v := q.Get(key); v != "" {
			t, err := parseDateParam(v, a.loc)
			if err != nil {
				return nil, key + ": " + err.Error()
			}
			*dst = t
		}
	}
	return f, ""
}

// contactLess builds the comparison for orders[...]; ties go by id so every
// order is total and pages are stable.
func (a *account) contactLess(orders []order) func(x, y int64) int {
	var keys []func(x, y *contact) int
	var idDesc bool
	for _, o := range orders {
		var k func(x, y *contact) int
		switch o.field {
		case "id":
			idDesc = o.desc
			continue
		case "cdate":
			k = func(x, y *contact) int { return cmpInt(x.cdate, y.cdate) }
		case "udate":
			k = func(x, y *contact) int { return cmpInt(x.udate, y.udate) }
		case "email":
			k = func(x, y *contact) int { return strings.Compare(lower(x.email), lower(y.email)) }
		case "first_name":
			k = func(x, y *contact) int { return strings.Compare(lower(x.firstName), lower(y.firstName)) }
		case "last_name":
			k = func(x, y *contact) int { return strings.Compare(lower(x.lastName), lower(y.lastName)) }
		case "name":
			k = func(x, y *contact) int {
				return strings.Compare(lower(x.firstName+" "+x.lastName), lower(y.firstName+" "+y.lastName))
			}
		case "phone":
			k = func(x, y *contact) int { return strings.Compare(x.phone, y.phone) }
		default:
			continue // the sandbox keeps no scores; unknown orders are ignored like unknown parameters
		}
		if o.desc {
			asc := k
			k = func(x, y *contact) int { return -asc(x, y) }
		}
		keys = append(keys, k)
	}
	return func(x, y int64) int {
		cx, cy := &a.contacts[x-1], &a.contacts[y-1]
		for _, k := range keys {
			if c := k(cx, cy); c != 0 {
				return c
			}
		}
		if idDesc {
			return cmpInt(y, x)
		}
		return cmpInt(x, y)
	}
}

// onlyByID says whether an order list sorts by id alone (the fast path).
func onlyByID(orders []order) (ok, desc bool) {
	for _, o := range orders {
		switch o.field {
		case "id":
			desc = o.desc
		case "cdate", "udate", "email", "first_name", "last_name", "name", "phone":
			return false, false
		}
	}
	return true, desc
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// listContacts is GET /contacts. With segmentid it is the legacy segment
// evaluation (legacy.go); otherwise the filters below apply.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	if v := q.Get("segmentid"); v != "" && v != "0" {
		s.legacySegmentContacts(w, r, a, v)
		return
	}
	limit, offset := pageParams(q)
	orders := orderParams(r.URL.RawQuery)
	a.mu.RLock()
	defer a.mu.RUnlock()
	f, bad := a.readContactFilter(r)
	if f == nil {
		writeError(w, http.StatusBadRequest, "Bad Request", bad)
		return
	}
	var page []int64
	total := 0
	if byID, desc := onlyByID(orders); byID {
		// Scan in id order, keeping only the requested page: no sort and no
		// full result slice, which matters on accounts of a million contacts.
		n := int64(len(a.contacts))
		for i := int64(1); i <= n; i++ {
			id := i
			if desc {
				id = n + 1 - i
			}
			c := &a.contacts[id-1]
			if c.deleted || !f.match(id, c) {
				continue
			}
			if total >= offset && len(page) < limit {
				page = append(page, id)
			}
			total++
		}
	} else {
		var all []int64
		for i := range a.contacts {
			id := int64(i + 1)
			if c := &a.contacts[i]; !c.deleted && f.match(id, c) {
				all = append(all, id)
			}
		}
		slices.SortFunc(all, a.contactLess(orders))
		total = len(all)
		lo, hi := pageBounds(len(all), limit, offset)
		page = all[lo:hi]
	}
	base := apiBase(r, a)
	out := make([]contactJSON, 0, len(page))
	for _, id := range page {
		out = append(out, a.renderContact(base, id, &a.contacts[id-1]))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"scoreValues": []any{},
		"contacts":    out,
		"meta":        map[string]any{"total": itoa(int64(total)), "page_input": pageInput(q, limit, offset, "")},
	})
}

// pageInput echoes the request the way meta.page_input does (spec §2d):
// numbers for the numeric parameters, null for those not sent.
func pageInput(q map[string][]string, limit, offset int, cacheID string) map[string]any {
	num := func(key string) any {
		vs := q[key]
		if len(vs) == 0 || vs[0] == "" {
			return nil
		}
		if n, ok := parseID(vs[0]); ok {
			return n
		}
		return vs[0]
	}
	str := func(key string) any {
		if vs := q[key]; len(vs) > 0 {
			return vs[0]
		}
		return nil
	}
	status := any(-1)
	if v := num("status"); v != nil {
		status = v
	}
	force := 0
	if vs := q["forceQuery"]; len(vs) > 0 && truthy(vs[0]) {
		force = 1
	}
	var cache any
	if cacheID != "" {
		cache = cacheID
	}
	return map[string]any{
		"segmentid": num("segmentid"), "formid": num("formid"), "listid": num("listid"), "tagid": num("tagid"),
		"limit": limit, "offset": offset, "search": str("search"), "sort": str("sort"), "seriesid": num("seriesid"),
		"waitid": num("waitid"), "status": status, "forceQuery": force, "cacheid": cache,
	}
}

// validEmail is a cheap syntax check in the spirit of the real API's: one
// @, a non-empty local part, a dotted domain, no spaces.
func validEmail(e string) bool {
	e = strings.TrimSpace(e)
	at := strings.IndexByte(e, '@')
	if at < 1 || at != strings.LastIndexByte(e, '@') || strings.ContainsAny(e, " \t,;<>") {
		return false
	}
	domain := e[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.Contains(domain, "..")
}
