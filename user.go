package autocred

import "time"

// User is a person who signs in to the web UI.
type User struct {
	ID        int64
	Email     string
	CreatedAt time.Time
}
