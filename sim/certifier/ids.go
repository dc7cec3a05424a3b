package certifier

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet in lower case. Its characters are
// in ASCII order, so encoded ids compare like the numbers they encode.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// idSource makes the ULID-like ids Certifier uses: 48 bits of Unix
// milliseconds, then 80 random bits, as 26 lower-case characters.
//
// Within one millisecond (or when the clock steps back) the random part is
// incremented instead of redrawn, so the ids of one source are strictly
// increasing. Lists and searches rely on that: a credential's id orders it
// the same way as its createdAt, so the keyset cursors can seek by id.
type idSource struct {
	now func() time.Time

	mu     sync.Mutex
	lastMS int64
	random [10]byte
}

// next returns a new id and the millisecond it encodes, which callers use as
// the object's createdAt.
func (s *idSource) next() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.now().UnixMilli()
	if ms <= s.lastMS && increment(s.random[:]) {
		ms = s.lastMS
	} else {
		ms = max(ms, s.lastMS+1)
		_, _ = rand.Read(s.random[:]) // crypto/rand.Read never fails
	}
	s.lastMS = ms

	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(ms)<<16)
	copy(b[6:], s.random[:])
	return encodeID(b), time.UnixMilli(ms).UTC()
}

// increment adds one to a big-endian number, reporting false on overflow.
func increment(b []byte) bool {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return true
		}
	}
	return false
}

// encodeID writes 128 bits as 26 base32 characters, most significant first
// (the first character carries only the top three bits).
func encodeID(b [16]byte) string {
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// newUUID returns a random (version 4) UUID, the form of a credential's
// publicId.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
