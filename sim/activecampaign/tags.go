package activecampaign

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

type tag struct {
	name, description string
	cdate             time.Time
	count             int // contacts holding it, for subscriber_count
}

// ensureTag returns the id of the tag named name (case-insensitive),
// creating it when missing. Callers hold a.mu.
func (a *account) ensureTag(name string, now time.Time) int32 {
	name = strings.TrimSpace(name)
	if id, ok := a.tagByName[lower(name)]; ok {
		return id
	}
	a.tags = append(a.tags, tag{name: name, cdate: now})
	id := int32(len(a.tags))
	a.tagByName[lower(name)] = id
	return id
}

// addTag tags a contact; added is false when it already had the tag.
func (a *account) addTag(id int64, c *contact, tagID int32, now time.Time) (linkID int64, added bool) {
	for _, t := range c.tags {
		if t.tag == tagID {
			return t.id, false
		}
	}
	l := tagLink{id: a.contactTagIDs.add(id), tag: tagID, cdate: toSecs(now)}
	c.tags = append(c.tags, l)
	a.tags[tagID-1].count++
	return l.id, true
}

// removeTag untags a contact; removed is false when it did not have the tag.
func (a *account) removeTag(c *contact, tagID int32) bool {
	for i, t := range c.tags {
		if t.tag == tagID {
			c.tags = append(c.tags[:i], c.tags[i+1:]...)
			a.tags[tagID-1].count--
			return true
		}
	}
	return false
}

// tagNames is the comma-separated tag list of webhook payloads.
func (a *account) tagNames(c *contact) string {
	names := make([]string, 0, len(c.tags))
	for _, t := range c.tags {
		names = append(names, a.tags[t.tag-1].name)
	}
	return strings.Join(names, ",")
}

func (a *account) renderTag(base string, id int32) map[string]any {
	t := a.tags[id-1]
	sid := itoa(int64(id))
	return map[string]any{
		"tagType": "contact", "tag": t.name, "description": t.description, "cdate": a.v3(t.cdate),
		"subscriber_count": itoa(int64(t.count)),
		"links":            map[string]string{"contactGoalTags": base + "/tags/" + sid + "/contactGoalTags"},
		"id":               sid,
	}
}

// listTags is GET /tags with search and filters[search][op].
func (s *Server) listTags(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	limit, offset := pageParams(q)
	match := func(string) bool { return true }
	if v := lower(q.Get("search")); v != "" {
		match = func(n string) bool { return strings.Contains(lower(n), v) }
	}
	for op, test := range map[string]func(n, v string) bool{
		"eq":          func(n, v string) bool { return n == v },
		"neq":         func(n, v string) bool { return n != v },
		"contains":    strings.Contains,
		"starts_with": strings.HasPrefix,
	} {
		if vs, ok := q["filters[search]["+op+"]"]; ok {
			v := lower(vs[0])
			match = func(n string) bool { return test(lower(n), v) }
		}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	var ids []int32
	for i, t := range a.tags {
		if match(t.name) {
			ids = append(ids, int32(i+1))
		}
	}
	base := apiBase(r, a)
	lo, hi := pageBounds(len(ids), limit, offset)
	out := make([]map[string]any, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		out = append(out, a.renderTag(base, id))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": out, "meta": map[string]string{"total": itoa(int64(len(ids)))}})
}

func (s *Server) getTag(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	a.mu.RLock()
	defer a.mu.RUnlock()
	if id < 1 || id > int64(len(a.tags)) {
		writeNoResult(w, "Tag", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tag": a.renderTag(apiBase(r, a), int32(id))})
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request, a *account) {
	var in struct {
		Tag *struct {
			Tag         string `json:"tag"`
			TagType     string `json:"tagType"`
			Description string `json:"description"`
		} `json:"tag"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Tag == nil || strings.TrimSpace(in.Tag.Tag) == "" {
		writeAttrError(w, http.StatusUnprocessableEntity, "Missing attribute", "field_missing", "tag")
		return
	}
	if in.Tag.TagType != "" && in.Tag.TagType != "contact" {
		writeAttrError(w, http.StatusUnprocessableEntity, "Only contact tags exist in this sandbox (tagType contact)", "field_invalid", "tagType")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.tagByName[lower(in.Tag.Tag)]; ok {
		writeAttrError(w, http.StatusUnprocessableEntity, "The tag name already exists", "duplicate", "tag")
		return
	}
	id := a.ensureTag(in.Tag.Tag, s.now())
	a.tags[id-1].description = in.Tag.Description
	writeJSON(w, http.StatusCreated, map[string]any{"tag": a.renderTag(apiBase(r, a), id)})
}

func (a *account) renderContactTag(base string, contactID int64, l tagLink) map[string]any {
	sid := itoa(l.id)
	cdate := a.v3(l.cdate.time())
	return map[string]any{
		"contact": itoa(contactID), "tag": itoa(int64(l.tag)), "cdate": cdate,
		"created_timestamp": cdate, "updated_timestamp": cdate, "created_by": nil, "updated_by": nil,
		"links": map[string]string{"contact": base + "/contactTags/" + sid + "/contact", "tag": base + "/contactTags/" + sid + "/tag"},
		"id":    sid,
	}
}

// contactContactTags is GET /contacts/{id}/contactTags.
func (s *Server) contactContactTags(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := a.contact(id)
	if c == nil {
		writeNoResult(w, "Subscriber", r.PathValue("id"))
		return
	}
	base := apiBase(r, a)
	out := make([]map[string]any, 0, len(c.tags))
	for _, l := range c.tags {
		out = append(out, a.renderContactTag(base, id, l))
	}
	writeJSON(w, http.StatusOK, map[string]any{"contactTags": out, "meta": map[string]string{"total": itoa(int64(len(out)))}})
}

// createContactTag is POST /contactTags. Tagging a contact that already
// has the tag answers the existing contactTag and fires no webhook.
func (s *Server) createContactTag(w http.ResponseWriter, r *http.Request, a *account) {
	var in struct {
		ContactTag *struct {
			Contact flexID `json:"contact"`
			Tag     flexID `json:"tag"`
		} `json:"contactTag"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	switch {
	case in.ContactTag == nil || in.ContactTag.Contact == 0:
		writeAttrError(w, http.StatusUnprocessableEntity, "Missing attribute", "", "contact")
		return
	case in.ContactTag.Tag == 0:
		writeAttrError(w, http.StatusUnprocessableEntity, "Missing attribute", "", "tag")
		return
	}
	now := s.now()
	a.mu.Lock()
	id := int64(in.ContactTag.Contact)
	c := a.contact(id)
	if c == nil {
		a.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "Contact not found")
		return
	}
	tagID := int64(in.ContactTag.Tag)
	if tagID < 1 || tagID > int64(len(a.tags)) {
		a.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "Tag not found")
		return
	}
	linkID, added := a.addTag(id, c, int32(tagID), now)
	var ds []*delivery
	if added {
		c.udate = now.UnixNano()
		ds = a.contactEvents(eventTagAdded, sourceAPI, id, c, 0, now, map[string]string{"tag": a.tags[tagID-1].name})
	}
	var link tagLink
	for _, l := range c.tags {
		if l.id == linkID {
			link = l
		}
	}
	resp := map[string]any{"contactTag": a.renderContactTag(apiBase(r, a), id, link)}
	a.mu.Unlock()
	s.hooks.enqueue(ds)
	writeJSON(w, http.StatusCreated, resp)
}

// deleteContactTag is DELETE /contactTags/{id}.
func (s *Server) deleteContactTag(w http.ResponseWriter, r *http.Request, a *account) {
	linkID, _ := parseID(r.PathValue("id"))
	now := s.now()
	a.mu.Lock()
	owner, _ := a.contactTagIDs.owner(linkID)
	c := a.contact(owner)
	tagID := int32(0)
	if c != nil {
		for _, l := range c.tags {
			if l.id == linkID {
				tagID = l.tag
			}
		}
	}
	if tagID == 0 {
		a.mu.Unlock()
		writeNoResult(w, "ContactTag", r.PathValue("id"))
		return
	}
	a.removeTag(c, tagID)
	c.udate = now.UnixNano()
	ds := a.contactEvents(eventTagRemoved, sourceAPI, owner, c, 0, now, map[string]string{"tag": a.tags[tagID-1].name})
	a.mu.Unlock()
	s.hooks.enqueue(ds)
	writeJSON(w, http.StatusOK, map[string]any{})
}

// BulkTag adds (or with remove, removes) a tag on many contacts at once, as
// a mass tag change in the app does: unlike an import it fires
// contact_tag_added / contact_tag_removed per changed contact, initiated
// from admin. Unknown or deleted contact ids are an error and change nothing.
func (s *Server) BulkTag(account string, contactIDs []int64, tagName string, remove bool) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	if strings.TrimSpace(tagName) == "" {
		return fmt.Errorf("bulk tag: a tag name is required")
	}
	now := s.now()
	a.mu.Lock()
	for _, id := range contactIDs {
		if a.contact(id) == nil {
			a.mu.Unlock()
			return fmt.Errorf("bulk tag: no contact %d in account %s", id, account)
		}
	}
	var ds []*delivery
	tagID, exists := a.tagByName[lower(tagName)]
	if !exists && !remove {
		tagID = a.ensureTag(tagName, now)
	}
	if tagID != 0 {
		extra := map[string]string{"tag": a.tags[tagID-1].name}
		for _, id := range contactIDs {
			c := a.contact(id)
			event := eventTagAdded
			var changed bool
			if remove {
				event, changed = eventTagRemoved, a.removeTag(c, tagID)
			} else {
				_, changed = a.addTag(id, c, tagID, now)
			}
			if changed {
				c.udate = now.UnixNano()
				ds = append(ds, a.contactEvents(event, sourceAdmin, id, c, 0, now, extra)...)
			}
		}
	}
	a.mu.Unlock()
	s.hooks.enqueue(ds)
	return nil
}
