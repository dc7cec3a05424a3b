package activecampaign

import (
	"fmt"
	"strings"
	"time"
)

type tag struct {
	name  string
	cdate time.Time
	count int // contacts holding it, for subscriber_count
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
	l := tagLink{id: a.contactTagIDs.next(), tag: tagID, cdate: toSecs(now)}
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
