package certifier

import (
	"fmt"
	"slices"
	"testing"
)

func TestGroupsPagination(t *testing.T) {
	sb := newSandbox(t, Options{})
	for i := range 45 {
		sb.ok(201, "POST", "/groups", map[string]any{"name": fmt.Sprintf("Group %02d", i), "designIds": []string{"d1"}})
	}
	const total = 48 // with the three sample groups

	var names []string
	cursor, pages := "", 0
	for {
		data, prev, next := sb.api("GET", "/groups?limit=20&cursor="+cursor, nil).list(t)
		pages++
		if (pages == 1) != (prev == nil) {
			t.Fatalf("page %d: prev = %v", pages, prev)
		}
		for _, g := range data {
			names = append(names, g["name"].(string))
		}
		if next == nil {
			break
		}
		cursor = *next
	}
	if pages != 3 || len(names) != total {
		t.Fatalf("%d groups in %d pages, want %d in 3", len(names), pages, total)
	}
	if names[0] != "Group 44" || names[total-1] != "Course Completion Certificate" {
		t.Fatalf("want newest first, got %q … %q", names[0], names[total-1])
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != total {
		t.Fatal("a group appeared twice")
	}

	// prev leads back to the page before.
	first, _, next := sb.api("GET", "/groups?limit=20", nil).list(t)
	_, prev, _ := sb.api("GET", "/groups?limit=20&cursor="+*next, nil).list(t)
	back, prevOfFirst, _ := sb.api("GET", "/groups?limit=20&cursor="+*prev, nil).list(t)
	if len(back) != 20 || back[0]["id"] != first[0]["id"] || back[19]["id"] != first[19]["id"] || prevOfFirst != nil {
		t.Fatal("prev cursor did not lead back to the first page")
	}

	if data, _, _ := sb.api("GET", "/groups", nil).list(t); len(data) != 20 {
		t.Fatalf("default limit gave %d groups, want 20", len(data))
	}
	if data, _, next := sb.api("GET", "/groups?limit=100", nil).list(t); len(data) != total || next != nil {
		t.Fatalf("limit=100 gave %d groups, next %v", len(data), next)
	}
	for _, q := range []string{"limit=101", "limit=0", "limit=-1", "limit=ten", "cursor=garbage"} {
		wantError(t, sb.api("GET", "/groups?"+q, nil), 400, "validation_error")
	}
	// A cursor of another list is refused.
	_, _, credNext := sb.api("GET", "/attributes?limit=1", nil).list(t)
	wantError(t, sb.api("GET", "/groups?cursor="+*credNext, nil), 400, "validation_error")
}

func TestGroupLifecycle(t *testing.T) {
	sb := newSandbox(t, Options{})
	g := sb.ok(201, "POST", "/groups", map[string]any{
		"name": "Intro to Go", "designIds": []string{"dA", "dB"}, "learningEventUrl": "https://learn.example.com/go",
	})
	for _, f := range []string{"id", "name", "learningEventUrl", "designIds", "certificateDesignId", "badgeDesignId", "createdAt", "updatedAt"} {
		if _, ok := g[f]; !ok {
			t.Errorf("group has no %s: %v", f, g)
		}
	}
	if g["certificateDesignId"] != "dA" || g["badgeDesignId"] != "dB" {
		t.Errorf("legacy design fields = %v, %v", g["certificateDesignId"], g["badgeDesignId"])
	}
	id := g["id"].(string)
	if got := sb.ok(200, "GET", "/groups/"+id, nil); got["name"] != "Intro to Go" {
		t.Fatalf("GET: %v", got)
	}

	legacy := sb.ok(201, "POST", "/groups", map[string]any{"name": "Legacy", "certificateDesignId": "c1"})
	if !slices.Equal(toStrings(legacy["designIds"]), []string{"c1"}) || legacy["badgeDesignId"] != nil || legacy["learningEventUrl"] != nil {
		t.Fatalf("legacy group: %v", legacy)
	}

	// A credential shows the group name, which follows a rename.
	cred := sb.ok(201, "POST", "/credentials", map[string]any{"groupId": id, "recipient": map[string]any{"name": "Ada"}})
	patched := sb.ok(200, "PATCH", "/groups/"+id, map[string]any{"name": "Go Fundamentals", "learningEventUrl": nil})
	if patched["name"] != "Go Fundamentals" || patched["learningEventUrl"] != nil || !slices.Equal(toStrings(patched["designIds"]), []string{"dA", "dB"}) {
		t.Fatalf("PATCH: %v", patched)
	}
	got := sb.ok(200, "GET", "/credentials/"+cred["id"].(string), nil)
	if got["attributes"].(map[string]any)["group.name"] != "Go Fundamentals" {
		t.Fatalf("group.name after rename: %v", got["attributes"])
	}

	for _, tc := range []struct {
		name string
		body any
	}{
		{"no name", map[string]any{"designIds": []string{"d"}}},
		{"blank name", map[string]any{"name": "  ", "designIds": []string{"d"}}},
		{"no design", map[string]any{"name": "X"}},
		{"empty designIds", map[string]any{"name": "X", "designIds": []string{}}},
		{"empty design id", map[string]any{"name": "X", "designIds": []string{""}}},
		{"both design forms", map[string]any{"name": "X", "designIds": []string{"d"}, "badgeDesignId": "b"}},
		{"relative url", map[string]any{"name": "X", "designIds": []string{"d"}, "learningEventUrl": "/courses/1"}},
		{"name not a string", map[string]any{"name": 7, "designIds": []string{"d"}}},
		{"unknown field", map[string]any{"name": "X", "designIds": []string{"d"}, "colour": "red"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantError(t, sb.api("POST", "/groups", tc.body), 400, "validation_error") })
	}
	wantError(t, sb.api("PATCH", "/groups/"+id, map[string]any{"designIds": []string{}}), 400, "validation_error")

	if r := sb.api("DELETE", "/groups/"+id, nil); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	wantError(t, sb.api("GET", "/groups/"+id, nil), 404, "not_found")
	wantError(t, sb.api("DELETE", "/groups/"+id, nil), 404, "not_found")
	wantError(t, sb.api("PATCH", "/groups/"+id, map[string]any{"name": "Y"}), 404, "not_found")
	// Its credentials stay; new ones cannot use the group.
	sb.ok(200, "GET", "/credentials/"+cred["id"].(string), nil)
	wantError(t, sb.api("POST", "/credentials", map[string]any{"groupId": id, "recipient": map[string]any{"name": "Ada"}}), 400, "validation_error")
}

func TestAttributes(t *testing.T) {
	sb := newSandbox(t, Options{})
	data, _, next := sb.api("GET", "/attributes", nil).list(t)
	if next != nil {
		t.Fatalf("8 attributes did not fit one default page")
	}
	defaults := map[string]bool{}
	var custom []string
	for _, a := range data {
		if a["isDefault"] == true {
			defaults[a["tag"].(string)] = true
		} else {
			custom = append(custom, fmt.Sprintf("%s=%s", a["tag"], a["name"]))
		}
	}
	for _, tag := range []string{"recipient.name", "recipient.email", "credential.issueDate", "credential.expiryDate", "group.name"} {
		if !defaults[tag] {
			t.Errorf("default attribute %s missing", tag)
		}
	}
	want := []string{"custom.course_name=Course Name", "custom.grade=Grade", "custom.mentor=Mentor"}
	if !slices.Equal(custom, want) {
		t.Fatalf("custom attributes %v, want %v", custom, want)
	}

	var tags []string
	cursor := ""
	for {
		page, _, next := sb.api("GET", "/attributes?limit=3&cursor="+cursor, nil).list(t)
		for _, a := range page {
			tags = append(tags, a["tag"].(string))
		}
		if next == nil {
			break
		}
		cursor = *next
	}
	if len(tags) != 8 {
		t.Fatalf("paged through %d attributes, want 8", len(tags))
	}

	for _, bad := range [][2]string{{"grade", "Grade"}, {"custom.", "X"}, {"custom.Grade", "X"}, {"custom.grade", "Again"}, {"custom.level", ""}} {
		if err := sb.srv.AddAttribute(testWorkspace, bad[0], bad[1]); err == nil {
			t.Errorf("AddAttribute(%q, %q) succeeded", bad[0], bad[1])
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
