// Package onceredis keeps the state that several processes share when they talk to
// 1NCE through package once: the OAuth token (one fetch per expiry window for all replicas)
// and the account's request budget (one token bucket for all replicas), both in Redis.
//
//	go get github.com/oncefleet/oncefleet/once/onceredis
//
//	c, err := once.New(id, secret,
//		once.WithTokenStore(onceredis.NewTokenStore(rdb, "myapp:once:")),
//		once.WithBudget(onceredis.NewBudgetStore(rdb, "myapp:once:")))
//
// It is a module of its own so that package once stays free of go-redis. rdb is any
// redis.UniversalClient (a single node, a cluster or a sentinel setup); use one key prefix per
// 1NCE account. The budget runs on Redis's clock, so processes on hosts with skewed clocks still
// share one bucket.
package onceredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/once"
	"github.com/redis/go-redis/v9"
)

// Defaults for the token lock.
const (
	// DefaultLockTTL bounds how long a crashed replica can hold the token lock. A token fetch
	// takes well under a second; if the holder dies the others wait at most this long, and
	// if a fetch ever outlives it two replicas fetch, which 1NCE tolerates (old tokens stay
	// valid).
	DefaultLockTTL = 15 * time.Second
	// lockPoll is how often a waiting replica retries the lock.
	lockPoll = 20 * time.Millisecond
)

// TokenStore is a once.TokenStore on Redis.
type TokenStore struct {
	rdb     redis.UniversalClient
	prefix  string
	lockTTL time.Duration
}

var _ once.TokenStore = (*TokenStore)(nil)

// NewTokenStore returns a token store keeping its keys under prefix (e.g. "oncefleet:once:").
func NewTokenStore(rdb redis.UniversalClient, prefix string) *TokenStore {
	return &TokenStore{rdb: rdb, prefix: prefix, lockTTL: DefaultLockTTL}
}

// Load implements once.TokenStore.
func (s *TokenStore) Load(ctx context.Context, key string) (once.Token, bool, error) {
	b, err := s.rdb.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return once.Token{}, false, nil
	}
	if err != nil {
		return once.Token{}, false, fmt.Errorf("onceredis: load token: %w", err)
	}
	var t once.Token
	if err := json.Unmarshal(b, &t); err != nil || t.AccessToken == "" {
		// A corrupt entry is as good as none: the caller fetches and overwrites it.
		return once.Token{}, false, nil
	}
	return t, true, nil
}

// Save implements once.TokenStore. The entry expires with the token.
func (s *TokenStore) Save(ctx context.Context, key string, t once.Token) error {
	ttl := time.Until(t.Expiry)
	if ttl <= 0 {
		return nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("onceredis: encode token: %w", err)
	}
	if err := s.rdb.Set(ctx, s.prefix+key, b, ttl).Err(); err != nil {
		return fmt.Errorf("onceredis: save token: %w", err)
	}
	return nil
}

// deleteIfToken deletes the token entry only if it still holds the rejected token.
var deleteIfToken = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, t = pcall(cjson.decode, v)
if (not ok) or type(t) ~= 'table' or t.access_token == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Delete implements once.TokenStore (compare-and-delete).
func (s *TokenStore) Delete(ctx context.Context, key, accessToken string) error {
	if err := deleteIfToken.Run(ctx, s.rdb, []string{s.prefix + key}, accessToken).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("onceredis: delete token: %w", err)
	}
	return nil
}

// unlockIfOwner releases the lock only if this holder still owns it (it may have expired and
// been taken by another replica).
var unlockIfOwner = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Lock implements once.TokenStore: SET NX with an owner id and a TTL, retried until free or
// ctx ends.
func (s *TokenStore) Lock(ctx context.Context, key string) (func(), error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("onceredis: lock id: %w", err)
	}
	owner := hex.EncodeToString(raw[:])
	lk := s.prefix + key + ":lock"
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("onceredis: waiting for token lock: %w", ctx.Err())
		case <-t.C:
		}
		ok, err := s.rdb.SetNX(ctx, lk, owner, s.lockTTL).Result()
		if err != nil {
			return nil, fmt.Errorf("onceredis: token lock: %w", err)
		}
		if ok {
			return sync.OnceFunc(func() {
				// Not the caller's context: a cancelled caller must still release the lock.
				uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = unlockIfOwner.Run(uctx, s.rdb, []string{lk}, owner).Err()
			}), nil
		}
		t.Reset(lockPoll)
	}
}

// BudgetStore is a once.BudgetStore on Redis: one token bucket per key, refilled by Redis's
// own clock so replicas with skewed clocks still share one rate.
type BudgetStore struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ once.BudgetStore = (*BudgetStore)(nil)

// NewBudgetStore returns a budget store keeping its keys under prefix.
func NewBudgetStore(rdb redis.UniversalClient, prefix string) *BudgetStore {
	return &BudgetStore{rdb: rdb, prefix: prefix}
}

// takeScript refills the bucket by elapsed Redis time, then takes one request if at least
// reserve remain afterwards; it answers the wait in seconds as a string (Lua numbers returned
// to Redis would be truncated to integers).
var takeScript = redis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens - 1 >= reserve then
  tokens = tokens - 1
else
  wait = (reserve + 1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.6f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
return string.format('%.6f', wait)`)

// Take implements once.BudgetStore.
func (s *BudgetStore) Take(ctx context.Context, key string, rate float64, burst int, reserve float64) (time.Duration, error) {
	res, err := takeScript.Run(ctx, s.rdb, []string{s.prefix + key},
		strconv.FormatFloat(rate, 'f', -1, 64), burst, strconv.FormatFloat(reserve, 'f', -1, 64)).Text()
	if err != nil {
		return 0, fmt.Errorf("onceredis: take budget: %w", err)
	}
	sec, err := strconv.ParseFloat(res, 64)
	if err != nil {
		return 0, fmt.Errorf("onceredis: take budget: bad answer %q", res)
	}
	if sec <= 0 {
		return 0, nil
	}
	return max(time.Millisecond, time.Duration(sec*float64(time.Second))), nil
}
