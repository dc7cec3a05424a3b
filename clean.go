package autocred

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/runenames"
)

// Hidden and control characters reach contacts from spreadsheets, web
// forms and copy and paste: a zero-width space after an email, a
// byte-order mark before a name, a no-break space between two words. The
// rule, one for every value a credential is made of:
//
//   - White space (Unicode White_Space: spaces, no-break spaces, tabs,
//     line breaks) at either end of a value is removed. Inside a name it
//     becomes one plain space; inside an email it is an error, since the
//     address meant cannot be told ("ana lee@" may be ana.lee or analee).
//   - Controls (Unicode category Cc, NUL, escape, the C1 range) and the
//     replacement character U+FFFD (what Storable leaves where a value
//     read from outside had a NUL or bytes that are not UTF-8) are
//     removed from names and text. In an email they are removed at either
//     end (an export's trailing carriage return) and an error inside:
//     there they are a sign of a garbled value (a C1 control is what a
//     curly apostrophe becomes when read in the wrong encoding), and
//     dropping one could give another person's address.
//   - Invisible format characters (category Cf and the other default
//     ignorable code points: zero-width spaces and joiners, the word
//     joiner, byte-order marks, soft hyphens, bidirectional marks,
//     embeddings, overrides and isolates, Hangul fillers) are removed
//     anywhere: the value a person sees is the one without them. Two
//     exceptions, where removing one would change what is seen or meant:
//     a zero-width joiner or non-joiner between two visible characters
//     of a name or text is kept (Persian, Indic scripts and emoji
//     sequences need them), and in an email a right-to-left override
//     (U+202E) before any of the address is an error (the address shows
//     reversed, so the one meant cannot be told), as is a joiner between
//     two non-ASCII letters (part of an international address).
//   - Everything else passes unchanged: letters of every script,
//     combining accents, variation selectors, apostrophes, hyphens, and
//     the prepended concatenation marks that are category Cf but visible
//     (the Arabic number sign U+0600 and its kind).
//
// Each removal is reported with the character's name and position, so
// that a run can say what it changed.

// Removal is one character taken out of a value.
type Removal struct {
	Char rune
	// At is the character's position in the value as read, counted in
	// characters from 1.
	At int
	// Start and End tell that everything before it (Start) or after it
	// (End) was removed too: it was at that end of the value.
	Start, End bool
}

// String says which character and where, e.g. "a zero width space
// (U+200B) at the end".
func (r Removal) String() string {
	where := fmt.Sprintf("at character %d", r.At)
	switch {
	case r.End:
		where = "at the end"
	case r.Start:
		where = "at the start"
	}
	return CharName(r.Char) + " " + where
}

// Hidden tells whether the character removed is one a person cannot see
// in the value as ActiveCampaign shows it: anything but ASCII white space
// (space, tab, line breaks), which trimming has always removed and which
// is not worth a line in a run's log.
func (r Removal) Hidden() bool {
	return !strings.ContainsRune(" \t\n\r\v\f", r.Char)
}

// DescribeRemovals says in one sentence what was removed from a value
// ("the email", "the recipient name"), e.g. "Removed a zero width space
// (U+200B) at the end of the email." It is empty when nothing was removed.
func DescribeRemovals(value string, rs []Removal) string {
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return "Removed " + rs[0].String() + " of " + value + "."
	}
	return "Removed from " + value + ": " + ListRemovals(rs) + "."
}

// ListRemovals lists removals in words, the first five named and the rest
// counted: "a byte-order mark (U+FEFF) at the start and a zero width space
// (U+200B) at the end".
func ListRemovals(rs []Removal) string {
	const named = 5
	parts := make([]string, 0, named+1)
	for i, r := range rs {
		if i == named {
			parts = append(parts, fmt.Sprintf("%d more", len(rs)-named))
			break
		}
		parts = append(parts, r.String())
	}
	return AndList(parts)
}

// AndList joins parts as a sentence lists them: "", "A", "A and B",
// "A, B and C".
func AndList(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	last := len(parts) - 1
	return strings.Join(parts[:last], ", ") + " and " + parts[last]
}

// CharName names a character for a person: its Unicode name in lower case
// and its code point, e.g. "a zero width space (U+200B)".
func CharName(r rune) string {
	name := strings.ToLower(runenames.Name(r))
	switch r {
	case '\t':
		name = "tab"
	case '\n':
		name = "line feed"
	case '\r':
		name = "carriage return"
	case 0:
		name = "null character"
	case '\uFEFF':
		name = "byte-order mark" // its Unicode name, zero width no-break space, is its older use
	}
	if name == "" || strings.HasPrefix(name, "<") {
		switch {
		case unicode.Is(unicode.Cc, r):
			name = "control character"
		case unicode.Is(unicode.White_Space, r):
			name = "space character"
		default:
			name = "invisible character"
		}
	}
	article := "a "
	if strings.ContainsRune("aeiou", rune(name[0])) {
		article = "an "
	}
	return fmt.Sprintf("%s%s (U+%04X)", article, name, r)
}

// charClass is what the rule above makes of a character.
type charClass int

const (
	visible   charClass = iota
	space               // White_Space
	control             // Cc that is not white space, and U+FFFD
	invisible           // Cf and other default ignorables, but for the visible Cf
)

func classOf(r rune) charClass {
	switch {
	case unicode.Is(unicode.White_Space, r):
		return space
	case unicode.Is(unicode.Cc, r), r == unicode.ReplacementChar:
		return control
	case unicode.Is(unicode.Prepended_Concatenation_Mark, r), unicode.Is(unicode.Variation_Selector, r):
		return visible
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return invisible
	}
	return visible
}

const rightToLeftOverride = '\u202E'

// CleanName cleans a recipient name, or any one-line text: white space
// becomes single plain spaces and is trimmed, controls and invisible
// format characters are removed (a joiner between two visible characters
// stays). The removals report controls and invisible characters only:
// spacing is not worth a line in a run's log. The result may be empty.
func CleanName(raw string) (string, []Removal) {
	return clean(raw, true)
}

// CleanText cleans a text value such as a custom attribute: as CleanName,
// except that white space inside the value is kept as it is (a no-break
// space in a course title is the author's), line breaks included; only
// the ends are trimmed.
func CleanText(raw string) (string, []Removal) {
	return clean(raw, false)
}

func clean(raw string, collapse bool) (string, []Removal) {
	rs := []rune(raw)
	classes := make([]charClass, len(rs))
	for i, r := range rs {
		classes[i] = classOf(r)
	}
	// A joiner stays when its nearest kept neighbours on both sides are
	// visible: it then changes how they are drawn.
	keep := func(i int) bool {
		switch classes[i] {
		case visible, space:
			return true
		case invisible:
			if !unicode.Is(unicode.Join_Control, rs[i]) {
				return false
			}
			return neighbour(classes, i, -1) == visible && neighbour(classes, i, +1) == visible
		}
		return false
	}
	var b strings.Builder
	var removed []Removal
	pendingSpace := false
	first, last := -1, -1 // the first and last kept visible characters
	for i := range rs {
		if classes[i] != space && keep(i) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i, r := range rs {
		if !keep(i) {
			removed = append(removed, Removal{Char: r, At: i + 1, Start: first < 0 || i < first, End: i > last})
			continue
		}
		if i < first || i > last {
			continue // white space at either end
		}
		if classes[i] == space && collapse {
			pendingSpace = true
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
	}
	return b.String(), removed
}

// neighbour is the class of the nearest character in direction dir from i
// that is not removed outright (controls and non-joiner invisibles are
// skipped over), or space at either end of the value.
func neighbour(classes []charClass, i, dir int) charClass {
	for j := i + dir; j >= 0 && j < len(classes); j += dir {
		switch classes[j] {
		case visible, space:
			return classes[j]
		}
	}
	return space
}

// CleanEmail cleans an email address by the rule above and checks what
// remains (CheckEmail). It returns the address to send and what was
// removed from it, or an error, for the run's log, naming a character
// that cannot be removed safely and where it is.
func CleanEmail(raw string) (string, []Removal, error) {
	rs := []rune(raw)
	first, last := -1, -1 // the first and last characters of the address itself
	for i, r := range rs {
		if classOf(r) == visible {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var b strings.Builder
	var removed []Removal
	for i, r := range rs {
		class := classOf(r)
		if class == visible {
			b.WriteRune(r)
			continue
		}
		atEnd := first < 0 || i < first || i > last
		switch {
		case r == rightToLeftOverride && first >= 0 && i < last:
			return "", nil, fmt.Errorf("the email address %q has %s at character %d, which makes it show reversed, so the address meant cannot be told", raw, CharName(r), i+1)
		case !atEnd && r == unicode.ReplacementChar:
			return "", nil, fmt.Errorf("the email address %q has %s at character %d, where the value as read had a null character or bytes that are not text, so the address meant cannot be told", raw, CharName(r), i+1)
		case !atEnd && (class == space || class == control):
			return "", nil, fmt.Errorf("the email address %q has %s at character %d, inside the address, where it cannot be removed safely", raw, CharName(r), i+1)
		case !atEnd && unicode.Is(unicode.Join_Control, r) && rs[i-1] > unicode.MaxASCII && rs[i+1] > unicode.MaxASCII:
			return "", nil, fmt.Errorf("the email address %q has %s at character %d, between two letters of an international address, where it may be meant", raw, CharName(r), i+1)
		}
		removed = append(removed, Removal{Char: r, At: i + 1, Start: first < 0 || i < first, End: i > last})
	}
	email := b.String()
	if err := CheckEmail(email); err != nil {
		return email, removed, err
	}
	return email, removed, nil
}
