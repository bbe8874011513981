package ratelimit_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oncefleet/oncefleet/internal/ratelimit"
	"github.com/oncefleet/oncefleet/internal/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter { return ratelimit.NewMemory(ratelimit.MemoryOptions{}) })
}

func TestRedisConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter {
		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		if err := client.Ping(t.Context()).Err(); err != nil {
			t.Fatalf("redis: %v", err)
		}
		prefix := "oncefleet-test:" + rand.Text() + ":"
		t.Cleanup(func() {
			defer client.Close()
			ctx := context.Background()
			iter := client.Scan(ctx, 0, "rate:"+prefix+"*", 500).Iterator()
			for iter.Next(ctx) {
				client.Unlink(ctx, iter.Val())
			}
			if err := iter.Err(); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
		return ratelimit.NewRedis(client, ratelimit.RedisOptions{Prefix: prefix})
	})
}

func TestRedisSharedAcrossReplicas(t *testing.T) {
	prefix := "oncefleet-test:" + rand.Text() + ":"
	var replicas []*ratelimit.Redis
	for range 3 {
		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		t.Cleanup(func() { client.Close() })
		replicas = append(replicas, ratelimit.NewRedis(client, ratelimit.RedisOptions{Prefix: prefix}))
	}
	t.Cleanup(func() {
		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		defer client.Close()
		client.Del(context.Background(), "rate:"+prefix+"key")
	})
	lim := ratelimit.Limit{Rate: 9, Period: time.Hour, Burst: 9}
	allowed := 0
	for i := range 30 {
		res, err := replicas[i%3].Allow(t.Context(), "key", lim)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowed++
		}
	}
	if allowed != 9 {
		t.Fatalf("three replicas allowed %d requests of a shared budget of 9", allowed)
	}
}

func TestRedisDown(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	_ = client.Close()
	if _, err := ratelimit.NewRedis(client, ratelimit.RedisOptions{}).Allow(t.Context(), "k", ratelimit.DefaultAPIKeyLimit); err == nil {
		t.Fatal("Allow with Redis down returned no error")
	}
}

// BenchmarkAllow measures one limiter decision; keys rotate over 1,000 API keys.
func BenchmarkAllow(b *testing.B) {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	prefix := "oncefleet-bench:" + rand.Text() + ":"
	defer func() {
		iter := client.Scan(ctx, 0, "rate:"+prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			client.Unlink(ctx, iter.Val())
		}
	}()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = rand.Text()
	}
	lim := ratelimit.PerMinute(1 << 30) // never denies: measure the decision, not the denial
	for _, tc := range []struct {
		name string
		l    ratelimit.Limiter
	}{
		{"memory", ratelimit.NewMemory(ratelimit.MemoryOptions{})},
		{"redis", ratelimit.NewRedis(client, ratelimit.RedisOptions{Prefix: prefix})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := tc.l.Allow(ctx, keys[i%len(keys)], lim); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
