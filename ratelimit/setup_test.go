package ratelimit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisURLEnv names the Redis the tests use; without it only the memory
// implementations are tested.
const redisURLEnv = "CONTACTHUB_TEST_REDIS_URL"

// backend is one implementation pair under test.
type backend struct {
	name    string
	limiter Limiter
	flood   FloodCounter
	redis   *redis.Client // nil for memory
	prefix  string
}

// backends returns the memory implementations and, when CONTACTHUB_TEST_REDIS_URL
// is set, the Redis ones under a key prefix unique to t, removed at cleanup.
func backends(t testing.TB) []backend {
	t.Helper()
	bs := []backend{{name: "memory", limiter: NewMemory(nil), flood: NewMemoryFloodCounter(nil)}}
	if rdb, prefix := testRedis(t); rdb != nil {
		bs = append(bs, backend{
			name:    "redis",
			limiter: NewRedis(rdb, prefix),
			flood:   NewRedisFloodCounter(rdb, prefix+"flood:"),
			redis:   rdb,
			prefix:  prefix,
		})
	}
	return bs
}

var (
	redisOnce   sync.Once
	redisShared *redis.Client
	redisErr    error
)

// testRedis returns a client for CONTACTHUB_TEST_REDIS_URL and a fresh key
// prefix whose keys are deleted when t ends, or nil when the variable is not
// set. It fails t when the variable is set but Redis does not answer.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv(redisURLEnv)
	if url == "" {
		return nil, ""
	}
	redisOnce.Do(func() {
		opt, err := redis.ParseURL(url)
		if err != nil {
			redisErr = err
			return
		}
		redisShared = redis.NewClient(opt)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		redisErr = redisShared.Ping(ctx).Err()
	})
	if redisErr != nil {
		t.Fatalf("%s=%s: %v", redisURLEnv, url, redisErr)
	}
	name := strings.NewReplacer("/", ".", " ", "_").Replace(t.Name())
	prefix := fmt.Sprintf("contacthub-test:%s:%x:", name, rand.Uint32())
	t.Cleanup(func() {
		ctx := context.Background()
		for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
			iter := redisShared.Scan(ctx, 0, pattern, 1000).Iterator()
			var keys []string
			for iter.Next(ctx) {
				keys = append(keys, iter.Val())
			}
			if err := iter.Err(); err != nil {
				t.Errorf("cleanup scan %s: %v", pattern, err)
			}
			if len(keys) > 0 {
				if err := redisShared.Del(ctx, keys...).Err(); err != nil {
					t.Errorf("cleanup del: %v", err)
				}
			}
		}
	})
	return redisShared, prefix
}

// fakeClock is a settable time source for the memory implementations and the
// breaker.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// within fails t unless got is within tol of want.
func within(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}
