package autocred

import "strconv"

// Thousands writes n with a comma between each group of three digits
// ("1,203"), as the counts in every message and page are written.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
