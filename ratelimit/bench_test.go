package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchAllow measures Allow from parallel goroutines, each on its own key
// (the common case: many API keys) unless shared.
func benchAllow(b *testing.B, l Limiter, shared bool) {
	var g atomic.Int64
	ctx := context.Background()
	limit := PerSecond(1_000_000_000 / 1000) // never refuses: measure the path, not the refusal
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		key := "k" + strconv.FormatInt(g.Add(1), 10)
		if shared {
			key = "shared"
		}
		for pb.Next() {
			if _, err := l.Allow(ctx, key, limit); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkMemoryAllow(b *testing.B) {
	b.Run("keys", func(b *testing.B) { benchAllow(b, NewMemory(nil), false) })
	b.Run("shared", func(b *testing.B) { benchAllow(b, NewMemory(nil), true) })
}

func BenchmarkRedisAllow(b *testing.B) {
	rdb, prefix := testRedis(b)
	if rdb == nil {
		b.Skip(redisURLEnv + " not set")
	}
	b.Run("keys", func(b *testing.B) { benchAllow(b, NewRedis(rdb, prefix), false) })
	b.Run("serial", func(b *testing.B) {
		l := NewRedis(rdb, prefix)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Allow(ctx, "serial", PerSecond(1_000_000)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchReserve(b *testing.B, f FloodCounter) {
	var g atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		key := "ip" + strconv.FormatInt(g.Add(1), 10)
		for pb.Next() {
			// A realistic flood limit: mostly refusals once 5 are in.
			if _, err := f.Reserve(ctx, key, 5, time.Hour); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkMemoryReserve(b *testing.B) { benchReserve(b, NewMemoryFloodCounter(nil)) }

func BenchmarkRedisReserve(b *testing.B) {
	rdb, prefix := testRedis(b)
	if rdb == nil {
		b.Skip(redisURLEnv + " not set")
	}
	benchReserve(b, NewRedisFloodCounter(rdb, prefix))
}
