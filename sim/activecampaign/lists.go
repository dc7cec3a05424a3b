package activecampaign

import (
	"net/http"
	"strings"
	"time"
)

type list struct {
	name  string
	cdate time.Time
}

// ensureList returns the id of the list named name, creating it if missing.
func (a *account) ensureList(name string, now time.Time) int32 {
	name = strings.TrimSpace(name)
	if id, ok := a.listByName[lower(name)]; ok {
		return id
	}
	a.lists = append(a.lists, list{name: name, cdate: now})
	id := int32(len(a.lists))
	a.listByName[lower(name)] = id
	return id
}

// setListStatus subscribes (1) or unsubscribes (2) a contact; changed is
// false when the contact already had that status.
func (a *account) setListStatus(c *contact, listID int32, status int8, now time.Time) (linkID int64, changed bool) {
	for i := range c.lists {
		if l := &c.lists[i]; l.list == listID {
			if l.status == status {
				return l.id, false
			}
			l.status, l.udate = status, toSecs(now)
			if status == 1 {
				l.sdate = toSecs(now)
			}
			return l.id, true
		}
	}
	a.nextContactList++
	c.lists = append(c.lists, listLink{id: a.nextContactList, list: listID, status: status, sdate: toSecs(now), udate: toSecs(now)})
	return a.nextContactList, true
}

func (a *account) renderContactList(base string, contactID int64, l listLink) map[string]any {
	sid := itoa(l.id)
	var unsub any
	if l.status == 2 {
		unsub = a.v3(l.udate.time())
	}
	return map[string]any{
		"contact": itoa(contactID), "list": itoa(int64(l.list)), "form": nil, "seriesid": "0",
		"sdate": a.v3(l.sdate.time()), "udate": a.v3(l.udate.time()), "udate_unsub": unsub,
		"status": itoa(int64(l.status)), "responder": "1", "sync": "0", "unsubreason": nil, "campaign": nil,
		"message": nil, "first_name": "", "last_name": "", "ip4Sub": "0", "sourceid": "0",
		"autosyncLog": nil, "ip4_last": "0", "ip4Unsub": "0", "unsubscribeAutomation": nil,
		"links": map[string]string{
			"automation": "", "list": base + "/contactLists/" + sid + "/list",
			"contact": base + "/contactLists/" + sid + "/contact", "form": "",
		},
		"id": sid, "automation": nil,
	}
}

func (s *Server) listLists(w http.ResponseWriter, r *http.Request, a *account) {
	limit, offset := pageParams(r.URL.Query())
	a.mu.RLock()
	defer a.mu.RUnlock()
	base := apiBase(r, a)
	lo, hi := pageBounds(len(a.lists), limit, offset)
	out := make([]map[string]any, 0, hi-lo)
	for i := lo; i < hi; i++ {
		l, sid := a.lists[i], itoa(int64(i+1))
		out = append(out, map[string]any{
			"stringid": strings.ReplaceAll(lower(l.name), " ", "-"), "userid": "1", "name": l.name,
			"cdate": a.v3(l.cdate), "udate": a.v3(l.cdate), "sender_url": "", "sender_reminder": "",
			"links": map[string]string{"contactGoalLists": base + "/lists/" + sid + "/contactGoalLists", "user": base + "/lists/" + sid + "/user"},
			"id":    sid,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": out, "meta": map[string]string{"total": itoa(int64(len(a.lists)))}})
}

// createContactList is POST /contactLists: status 1 subscribes, 2
// unsubscribes. A change fires subscribe / unsubscribe.
func (s *Server) createContactList(w http.ResponseWriter, r *http.Request, a *account) {
	var in struct {
		ContactList *struct {
			List    flexID `json:"list"`
			Contact flexID `json:"contact"`
			Status  flexID `json:"status"`
		} `json:"contactList"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	switch {
	case in.ContactList == nil || in.ContactList.Contact == 0:
		writeAttrError(w, http.StatusUnprocessableEntity, "Missing attribute", "field_missing", "contact")
		return
	case in.ContactList.List == 0:
		writeAttrError(w, http.StatusUnprocessableEntity, "Missing attribute", "field_missing", "list")
		return
	case in.ContactList.Status != 1 && in.ContactList.Status != 2:
		writeAttrError(w, http.StatusUnprocessableEntity, "Status must be 1 (subscribe) or 2 (unsubscribe)", "field_invalid", "status")
		return
	}
	now := s.now()
	a.mu.Lock()
	id := int64(in.ContactList.Contact)
	c := a.contact(id)
	if c == nil {
		a.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "Contact not found")
		return
	}
	listID := int64(in.ContactList.List)
	if listID < 1 || listID > int64(len(a.lists)) {
		a.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", "List not found")
		return
	}
	status := int8(in.ContactList.Status)
	linkID, changed := a.setListStatus(c, int32(listID), status, now)
	var ds []*delivery
	if changed {
		c.udate = now.UnixNano()
		event, extra := eventSubscribe, map[string]string(nil)
		if status == 2 {
			event, extra = eventUnsubscribe, map[string]string{"list[][id]": itoa(listID)}
		}
		ds = a.contactEvents(event, sourceAPI, id, c, int32(listID), now, extra)
	}
	base := apiBase(r, a)
	var link listLink
	for _, l := range c.lists {
		if l.id == linkID {
			link = l
		}
	}
	resp := map[string]any{"contacts": []contactJSON{a.renderContact(base, id, c)}, "contactList": a.renderContactList(base, id, link)}
	a.mu.Unlock()
	s.hooks.enqueue(ds)
	writeJSON(w, http.StatusOK, resp)
}
