package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"
)

// The in-memory implementations keep one entry per key in a map split into
// shards, each behind its own mutex, so that requests for different keys
// rarely contend. Memory stays bounded in two ways: entries that no longer
// affect any decision are swept (every sweepEvery of clock time, or when a
// shard has doubled since its last sweep, so the cost is amortised), and a
// hard cap on keys per shard evicts arbitrary entries when a sweep did not
// free room. Evicting a live entry forgets that key's history (it gets a
// fresh allowance); that only happens under a key-flooding attack larger than
// the cap, and is preferable to running out of memory.

const (
	numShards       = 64
	sweepEvery      = time.Minute
	defaultMaxKeys  = 1 << 20
	minSweepTrigger = 1024
)

// MemoryOption configures NewMemory and NewMemoryFloodCounter.
type MemoryOption func(*memoryConfig)

type memoryConfig struct {
	maxKeys int
}

// WithMaxKeys caps the number of keys kept in memory (default 1<<20). Above
// the cap, keys whose state has expired are dropped first, then arbitrary
// ones. Values below numShards (64) are raised to it.
func WithMaxKeys(n int) MemoryOption {
	return func(c *memoryConfig) { c.maxKeys = n }
}

func newMemoryConfig(opts []MemoryOption) memoryConfig {
	c := memoryConfig{maxKeys: defaultMaxKeys}
	for _, o := range opts {
		o(&c)
	}
	if c.maxKeys < numShards {
		c.maxKeys = numShards
	}
	return c
}

// shardMap is a sharded map from key to V. expired reports whether an entry
// no longer matters at time now (unix nanoseconds).
type shardMap[V any] struct {
	seed        maphash.Seed
	maxPerShard int
	expired     func(v V, now int64) bool
	shards      [numShards]shard[V]
}

type shard[V any] struct {
	mu          sync.Mutex
	m           map[string]V
	nextSweep   int64
	sizeAtSweep int
	_           [40]byte // keep shards on separate cache lines
}

func newShardMap[V any](cfg memoryConfig, expired func(V, int64) bool) *shardMap[V] {
	s := &shardMap[V]{
		seed:        maphash.MakeSeed(),
		maxPerShard: cfg.maxKeys / numShards,
		expired:     expired,
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]V)
	}
	return s
}

// lock returns key's shard, locked; the caller unlocks it.
func (s *shardMap[V]) lock(key string, now int64) *shard[V] {
	sh := &s.shards[maphash.String(s.seed, key)%numShards]
	sh.mu.Lock()
	if now >= sh.nextSweep || len(sh.m) >= 2*sh.sizeAtSweep+minSweepTrigger {
		s.sweep(sh, now)
	}
	return sh
}

// put stores v under key in the locked shard sh, making room first if key is
// new and the shard is full.
func (s *shardMap[V]) put(sh *shard[V], key string, v V, now int64) {
	if _, ok := sh.m[key]; !ok && len(sh.m) >= s.maxPerShard {
		s.sweep(sh, now)
		// Still full: evict an eighth at once, so that a flood of new keys
		// costs one sweep per maxPerShard/8 keys, not one per key.
		if len(sh.m) >= s.maxPerShard {
			keep := s.maxPerShard - max(s.maxPerShard/8, 1)
			for k := range sh.m {
				if len(sh.m) <= keep {
					break
				}
				delete(sh.m, k)
			}
		}
	}
	sh.m[key] = v
}

func (s *shardMap[V]) sweep(sh *shard[V], now int64) {
	for k, v := range sh.m {
		if s.expired(v, now) {
			delete(sh.m, k)
		}
	}
	sh.sizeAtSweep = len(sh.m)
	sh.nextSweep = now + int64(sweepEvery)
}

// len counts the entries in all shards (tests).
func (s *shardMap[V]) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
