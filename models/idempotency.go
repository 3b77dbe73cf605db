package models

import "time"

// A request sent with an Idempotency-Key is done once: the first claims the key, and a
// retry with the same key and request gets the first one's answer again.
const (
	// IdempotencyTTL is how long a key's answer is replayed; an older key is unknown.
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyLease is how long a claim may stay in progress. An older claim was
	// abandoned (its process stopped mid-request), and a retry may take the key over.
	// It is well past the longest a request may run once claimed (the handlers bound
	// it by IdempotencyRunLimit), so a running request is never taken over.
	IdempotencyLease = 5 * time.Minute
	// IdempotencyRunLimit bounds how long a request runs once it has claimed its key.
	IdempotencyRunLimit = 2 * time.Minute
)

// IdempotentResponse is the stored answer to a request sent with an Idempotency-Key.
type IdempotentResponse struct {
	Status int
	// Header holds the headers the handler set (Content-Type, …), not those of the
	// connection or of the request's quota.
	Header map[string][]string
	Body   []byte
}

// IdempotencyRecord is the state of one key of a tenant.
type IdempotencyRecord struct {
	// ID identifies this claim of the key; a key expired or taken over gets a new one.
	ID int64
	// RequestHash is the hex SHA-256 of the method, path and body of the request that
	// claimed the key; another request with the same key does not match it.
	RequestHash string
	// Response is nil while the first request is in progress.
	Response  *IdempotentResponse
	CreatedAt time.Time
}
