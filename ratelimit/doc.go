// Package ratelimit protects contacthub from clients that send too much: a
// request quota per API key ("100 requests per minute") and a flood limit per
// submitting IP address ("at most 5 contacts created from one request_ip per
// hour").
//
// # Two different questions, two different algorithms
//
// The request quota is a [Limiter]. It uses GCRA (the generic cell rate
// algorithm, a leaky bucket that stores one timestamp per key): a [Limit] of
// Rate per Period admits a burst of Rate requests and then one request every
// Period/Rate. GCRA needs one value per key and one round trip, gives exact
// Remaining / RetryAfter / ResetAfter numbers for the X-Rate-Limit-* headers,
// and has no window edge at which a client can send 2×Rate requests.
//
// The flood limit is a [FloodCounter]. It must count what actually happened
// (contacts created), not requests: a form submission that is merged into an
// existing contact creates nothing and must not use up the allowance. So the
// counter is a sliding log of reservations: [FloodCounter.Reserve] admits one
// creation if fewer than max were admitted in the last window and returns an
// ID; the caller [FloodCounter.Cancel]s it when the contact was merged instead
// or the transaction failed. Reserve-then-cancel (rather than count-after-
// commit) is what keeps the limit exact when many requests from one IP arrive
// at once on many replicas.
//
// # Implementations
//
// [NewRedis] and [NewRedisFloodCounter] keep state in Redis so that limits are
// global across replicas; each decision is one atomic script (redis_rate's
// GCRA script, and a sorted-set script for the flood log), timed by the Redis
// server clock so clock skew between replicas does not matter. A quota of 100
// per second or more is leased to a replica a few requests at a time (at most
// [LeaseWindow]'s share, used within LeaseWindow), so a hot key costs one round
// trip per lease instead of per request; see lease.go for what that changes.
// [NewMemory] and [NewMemoryFloodCounter] implement the same semantics in
// process (sharded maps, expired entries evicted, a hard cap on keys) with an
// injectable clock; they are the default when no Redis is configured and the
// fallback when Redis is down.
//
// # When Redis is down
//
// [NewFallback] and [NewFloodFallback] wrap a primary (Redis) and decide what
// happens when it fails:
//
//   - with a fallback (normally the in-memory implementation) decisions are
//     made locally; with N replicas a client can then get up to N times its
//     quota, which is better than either alternative;
//   - without a fallback and failOpen=true everything is admitted;
//   - without a fallback and failOpen=false everything is refused with an
//     error wrapping [ErrUnavailable] (handlers answer 503, not 429: the
//     client did nothing wrong).
//
// After a failure the primary is not called again for a probe interval (a
// simple circuit breaker), so an outage does not add a Redis dial timeout to
// every request; one request per interval probes it. The outage is logged
// when it starts, at most once per log interval while it lasts (with the
// number of failed calls), and when it ends. Healthy and Status report the
// state for /readyz and /metrics. A failure caused by the caller's own
// context (client went away) is returned as is and does not count as an
// outage.
//
// Keys are opaque strings chosen by the caller (the handlers compose
// "tenant:key-id" or "tenant:ip"); use [IPKey] for addresses so that an IPv6
// client cannot escape the flood limit by rotating through its /64.
package ratelimit
