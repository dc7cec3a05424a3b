package autocred

import (
	"strings"
	"testing"
)

// removals writes what was removed the way a run's log says it, one per
// element, for comparing.
func removals(rs []Removal) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func TestCleanEmail(t *testing.T) {
	tests := []struct {
		class   string
		raw     string
		want    string
		removed []string
		err     string // part of the error; empty when it cleans
	}{
		{"plain", "ana@example.com", "ana@example.com", nil, ""},
		{"space at the ends", "  ana@example.com ", "ana@example.com",
			[]string{"a space (U+0020) at the start", "a space (U+0020) at the start", "a space (U+0020) at the end"}, ""},
		{"tab and line break at the end", "ana@example.com\t\r\n", "ana@example.com",
			[]string{"a tab (U+0009) at the end", "a carriage return (U+000D) at the end", "a line feed (U+000A) at the end"}, ""},
		{"zero width space at the end", "ana@example.com\u200B", "ana@example.com",
			[]string{"a zero width space (U+200B) at the end"}, ""},
		{"zero width space inside", "ana\u200B@example.com", "ana@example.com",
			[]string{"a zero width space (U+200B) at character 4"}, ""},
		{"zero width joiner between ASCII", "an\u200Da@example.com", "ana@example.com",
			[]string{"a zero width joiner (U+200D) at character 3"}, ""},
		{"zero width non-joiner", "ana@exa\u200Cmple.com", "ana@example.com",
			[]string{"a zero width non-joiner (U+200C) at character 8"}, ""},
		{"word joiner", "ana@example\u2060.com", "ana@example.com",
			[]string{"a word joiner (U+2060) at character 12"}, ""},
		{"byte-order mark at the start", "\uFEFFana@example.com", "ana@example.com",
			[]string{"a byte-order mark (U+FEFF) at the start"}, ""},
		{"soft hyphen", "ana\u00ADlee@example.com", "analee@example.com",
			[]string{"a soft hyphen (U+00AD) at character 4"}, ""},
		{"no-break space at the end", "ana@example.com\u00A0", "ana@example.com",
			[]string{"a no-break space (U+00A0) at the end"}, ""},
		{"narrow no-break space at the start", "\u202Fana@example.com", "ana@example.com",
			[]string{"a narrow no-break space (U+202F) at the start"}, ""},
		{"figure space at the end", "ana@example.com\u2007", "ana@example.com",
			[]string{"a figure space (U+2007) at the end"}, ""},
		{"left-to-right mark", "\u200Eana@example.com\u200F", "ana@example.com",
			[]string{"a left-to-right mark (U+200E) at the start", "a right-to-left mark (U+200F) at the end"}, ""},
		{"left-to-right embedding around it", "\u202Aana@example.com\u202C", "ana@example.com",
			[]string{"a left-to-right embedding (U+202A) at the start", "a pop directional formatting (U+202C) at the end"}, ""},
		{"isolates around it", "\u2066ana@example.com\u2069", "ana@example.com",
			[]string{"a left-to-right isolate (U+2066) at the start", "a pop directional isolate (U+2069) at the end"}, ""},
		{"right-to-left override at the end", "ana@example.com\u202E", "ana@example.com",
			[]string{"a right-to-left override (U+202E) at the end"}, ""},
		{"C0 control at the end", "ana@example.com\x00", "ana@example.com",
			[]string{"a null character (U+0000) at the end"}, ""},
		{"replacement character at the end", "ana@example.com\uFFFD", "ana@example.com",
			[]string{"a replacement character (U+FFFD) at the end"}, ""},
		{"C1 control at the end", "ana@example.com\u0085", "ana@example.com",
			[]string{"a control character (U+0085) at the end"}, ""},
		{"several", "\uFEFF ana\u200B@example.com\u200B\u00A0", "ana@example.com",
			[]string{"a byte-order mark (U+FEFF) at the start", "a space (U+0020) at the start", "a zero width space (U+200B) at character 6",
				"a zero width space (U+200B) at the end", "a no-break space (U+00A0) at the end"}, ""},

		// Not safe to remove: the address meant cannot be told.
		{"space inside", "ana lee@example.com", "", nil, "a space (U+0020) at character 4, inside the address"},
		{"no-break space inside", "ana\u00A0lee@example.com", "", nil, "a no-break space (U+00A0) at character 4, inside the address"},
		{"tab inside", "ana@example\t.com", "", nil, "a tab (U+0009) at character 12"},
		{"C1 control inside", "ana\u0092s@example.com", "", nil, "a control character (U+0092) at character 4"},
		{"C0 control inside", "ana\x1b@example.com", "", nil, "a control character (U+001B) at character 4"},
		{"NUL inside", "ana\x00lee@example.com", "", nil, "a null character (U+0000) at character 4"},
		// Storable's mark for a NUL or bytes that are not UTF-8 read from
		// outside: dropping it could give another person's address.
		{"replacement character inside", Storable("ana\x00lee@example.com"), "", nil,
			"a replacement character (U+FFFD) at character 4, where the value as read had a null character or bytes that are not text"},
		{"right-to-left override before it", "\u202Emoc.elpmaxe@ana", "", nil, "a right-to-left override (U+202E) at character 1, which makes it show reversed"},
		{"right-to-left override inside", "ana@\u202Emoc.elpmaxe", "", nil, "a right-to-left override (U+202E) at character 5"},
		{"joiner inside an international address", "علی\u200Cرضا@example.com", "", nil, "a zero width non-joiner (U+200C) at character 4, between two letters"},

		// What remains must be an address.
		{"only invisible", "\u200B\u00A0", "", nil, "no email address"},
		{"invalid once cleaned", "ana@example\u200B", "", nil, "cannot receive mail"},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			got, removed, err := CleanEmail(tt.raw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("CleanEmail(%+q) = %q, %v; want an error with %q", tt.raw, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CleanEmail(%+q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
			if g := removals(removed); strings.Join(g, "|") != strings.Join(tt.removed, "|") {
				t.Errorf("CleanEmail(%+q) removed\n%q\nwant\n%q", tt.raw, g, tt.removed)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		class   string
		raw     string
		want    string
		removed []string
	}{
		// Letters of every script, accents and apostrophes pass unchanged.
		{"Latin", "Ana Lee", "Ana Lee", nil},
		{"curly apostrophe", "Seán O’Brien", "Seán O’Brien", nil},
		{"straight apostrophe and hyphen", "Mary-Jane O'Neil", "Mary-Jane O'Neil", nil},
		{"combining accents", "Jose\u0301 Zo\u0308e", "Jose\u0301 Zo\u0308e", nil},
		{"Cyrillic with accents", "Ёлка Йо́ван", "Ёлка Йо́ван", nil},
		{"Arabic", "محمد عبد الله", "محمد عبد الله", nil},
		{"Chinese", "王小明", "王小明", nil},
		{"Devanagari", "अनुष्का शर्मा", "अनुष्का शर्मा", nil},
		{"Persian with a zero width non-joiner", "می\u200Cخواهم", "می\u200Cخواهم", nil},
		{"Devanagari with a zero width joiner", "क्\u200Dष", "क्\u200Dष", nil},
		{"emoji sequence", "Ana 👩\u200D💻", "Ana 👩\u200D💻", nil},
		{"variation selector", "葛\U000E0100西", "葛\U000E0100西", nil},
		{"Arabic number sign", "\u0600١٢", "\u0600١٢", nil},

		// White space: trimmed, and single plain spaces inside.
		{"spaces at the ends", "  Ana Lee\t", "Ana Lee", nil},
		{"runs of spaces", "Ana  \t Lee", "Ana Lee", nil},
		{"no-break spaces", "Ana\u00A0Lee\u202FSmith\u2007Jr", "Ana Lee Smith Jr", nil},
		{"line break", "Ana\r\nLee", "Ana Lee", nil},
		{"ideographic space", "山田\u3000太郎", "山田 太郎", nil},

		// Invisible format characters: removed.
		{"zero width space", "Ana\u200B Lee\u200B", "Ana Lee",
			[]string{"a zero width space (U+200B) at character 4", "a zero width space (U+200B) at the end"}},
		{"byte-order mark", "\uFEFFAna Lee", "Ana Lee", []string{"a byte-order mark (U+FEFF) at the start"}},
		{"word joiner", "Ana\u2060Lee", "AnaLee", []string{"a word joiner (U+2060) at character 4"}},
		{"soft hyphen", "Ana\u00ADlee", "Analee", []string{"a soft hyphen (U+00AD) at character 4"}},
		{"joiner at the end", "Ana\u200D", "Ana", []string{"a zero width joiner (U+200D) at the end"}},
		{"joiner next to a space", "Ana \u200CLee", "Ana Lee", []string{"a zero width non-joiner (U+200C) at character 5"}},
		{"Hangul filler", "\u3164", "", []string{"a hangul filler (U+3164) at the end"}},

		// Bidirectional controls: removed.
		{"marks", "\u200FAna\u200E", "Ana",
			[]string{"a right-to-left mark (U+200F) at the start", "a left-to-right mark (U+200E) at the end"}},
		{"override", "Ana \u202Eeel\u202C", "Ana eel",
			[]string{"a right-to-left override (U+202E) at character 5", "a pop directional formatting (U+202C) at the end"}},
		{"embeddings", "\u202AAna\u202B", "Ana",
			[]string{"a left-to-right embedding (U+202A) at the start", "a right-to-left embedding (U+202B) at the end"}},
		{"isolates", "\u2067محمد\u2069 Lee\u2068", "محمد Lee",
			[]string{"a right-to-left isolate (U+2067) at the start", "a pop directional isolate (U+2069) at character 6", "a first strong isolate (U+2068) at the end"}},

		// Controls: removed.
		{"C0 controls", "Ana\x00 \x07Lee", "Ana Lee",
			[]string{"a null character (U+0000) at character 4", "a control character (U+0007) at character 6"}},
		{"C1 control", "O\u0092Brien", "OBrien", []string{"a control character (U+0092) at character 2"}},
		{"escape", "\x1b[31mAna", "[31mAna", []string{"a control character (U+001B) at the start"}},
		// Storable's mark for a NUL read from outside: removed, as the NUL
		// itself would be.
		{"replacement character", Storable("Ana\x00"), "Ana", []string{"a replacement character (U+FFFD) at the end"}},

		{"nothing left", "\u200B \u00A0", "", []string{"a zero width space (U+200B) at the end"}},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			got, removed := CleanName(tt.raw)
			if got != tt.want {
				t.Errorf("CleanName(%+q) = %+q, want %+q", tt.raw, got, tt.want)
			}
			if g := removals(removed); strings.Join(g, "|") != strings.Join(tt.removed, "|") {
				t.Errorf("CleanName(%+q) removed\n%q\nwant\n%q", tt.raw, g, tt.removed)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"Analytical Engines 101", "Analytical Engines 101"},
		{"  Module\u00A01 ", "Module\u00A01"},
		{"Line one\nLine  two", "Line one\nLine  two"},
		{"Go\u200B Basics\u202E", "Go Basics"},
		{"\uFEFFكورس البرمجة", "كورس البرمجة"},
		{"Grade\x00 A", "Grade A"},
	}
	for _, tt := range tests {
		if got, _ := CleanText(tt.raw); got != tt.want {
			t.Errorf("CleanText(%+q) = %+q, want %+q", tt.raw, got, tt.want)
		}
	}
}

func TestDescribeRemovals(t *testing.T) {
	one := []Removal{{Char: '\u200B', At: 16, End: true}}
	if got, want := DescribeRemovals("the email", one), "Removed a zero width space (U+200B) at the end of the email."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	two := []Removal{{Char: '\uFEFF', At: 1, Start: true}, {Char: '\u200B', At: 16, End: true}}
	if got, want := DescribeRemovals("the email", two), "Removed from the email: a byte-order mark (U+FEFF) at the start and a zero width space (U+200B) at the end."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var many []Removal
	for i := range 7 {
		many = append(many, Removal{Char: 0, At: i + 2})
	}
	if got := DescribeRemovals("the recipient name", many); !strings.HasSuffix(got, "and 2 more.") {
		t.Errorf("got %q, want the last two counted", got)
	}
	if got := DescribeRemovals("the email", nil); got != "" {
		t.Errorf("nothing removed: got %q", got)
	}
}

func TestRemovalHidden(t *testing.T) {
	for r, hidden := range map[rune]bool{' ': false, '\t': false, '\r': false, '\n': false, '\u00A0': true, '\u200B': true, '\uFEFF': true, 0: true} {
		if got := (Removal{Char: r}).Hidden(); got != hidden {
			t.Errorf("Removal{%U}.Hidden() = %v, want %v", r, got, hidden)
		}
	}
}
