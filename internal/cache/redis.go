package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// RedisOptions configure a Redis cache. Zero values take the documented defaults.
type RedisOptions struct {
	// Name labels the cache's metrics (default "redis").
	Name string
	// Prefix namespaces every key this cache writes (default "oncefleet:cache:"), so several
	// deployments or caches can share one Redis database.
	Prefix string
	// MaxTTL caps every entry's life and is the lifetime of invalidation markers
	// (default DefaultMaxTTL).
	MaxTTL time.Duration
	// LoadTimeout bounds a GetOrLoad load (default DefaultLoadTimeout).
	LoadTimeout time.Duration
	// Registerer receives the hit/miss counters; nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// Redis is the shared Cache for replicated deployments.
//
// Prefix invalidation is O(1) through generations instead of a key scan. Every node of the
// key hierarchy ("", "sims", "sims:list", …) may have a generation number; a value is stored
// under its key plus the generations of all nodes on its path (and one of the key itself), so
// DeletePrefix only replaces one node's generation and every value below it becomes
// unreachable at once, left for Redis to expire by TTL. Each generation is a fresh number from
// a per-namespace counter and lives exactly MaxTTL: no value outlives MaxTTL, so by the time a
// generation marker lapses back to "absent" nothing written under "absent" is left. Lookups
// and writes are one Lua script each (one round trip); they compute data keys inside the
// script, which needs a single Redis node or primary/replica setup, not Redis Cluster.
type Redis struct {
	client *redis.Client
	opts   RedisOptions
	ld     loader
	// counter is the namespace's generation source.
	counter string
}

var _ Cache = (*Redis)(nil)

// Lua scripts. KEYS hold the generation markers of the key's path (root first, the key's own
// marker last); the data key is ARGV[1] plus the generation vector.
var (
	redisGet = redis.NewScript(`
local g = redis.call('MGET', unpack(KEYS))
for i = 1, #KEYS do if not g[i] then g[i] = '0' end end
local vec = table.concat(g, '.')
return {vec, redis.call('GET', ARGV[1] .. '|' .. vec)}
`)
	// ARGV: base, value, ttl ms, expected vector ('' = unconditional).
	redisSet = redis.NewScript(`
local g = redis.call('MGET', unpack(KEYS))
for i = 1, #KEYS do if not g[i] then g[i] = '0' end end
local vec = table.concat(g, '.')
if ARGV[4] ~= '' and ARGV[4] ~= vec then return 0 end
redis.call('SET', ARGV[1] .. '|' .. vec, ARGV[2], 'PX', ARGV[3])
return 1
`)
	// KEYS: path markers then the counter; ARGV: base, marker ttl ms. Drops the value now and
	// moves the key's own marker so that a load racing this delete cannot store its result.
	redisDel = redis.NewScript(`
local n = #KEYS - 1
local gk = {}
for i = 1, n do gk[i] = KEYS[i] end
local g = redis.call('MGET', unpack(gk))
for i = 1, n do if not g[i] then g[i] = '0' end end
redis.call('UNLINK', ARGV[1] .. '|' .. table.concat(g, '.'))
redis.call('SET', KEYS[n], redis.call('INCR', KEYS[#KEYS]), 'PX', ARGV[2])
return 1
`)
	// KEYS: the node's subtree marker, the counter; ARGV: marker ttl ms.
	redisBump = redis.NewScript(`
redis.call('SET', KEYS[1], redis.call('INCR', KEYS[2]), 'PX', ARGV[1])
return 1
`)
)

// NewRedis returns a Redis cache on client. The caller owns client and closes it.
func NewRedis(client *redis.Client, opts RedisOptions) (*Redis, error) {
	if client == nil {
		return nil, errors.New("redis cache: nil client")
	}
	if opts.Name == "" {
		opts.Name = "redis"
	}
	if opts.Prefix == "" {
		opts.Prefix = "oncefleet:cache:"
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = DefaultMaxTTL
	}
	if opts.LoadTimeout <= 0 {
		opts.LoadTimeout = DefaultLoadTimeout
	}
	m, err := newMetrics(opts.Registerer, opts.Name)
	if err != nil {
		return nil, fmt.Errorf("redis cache %q: %w", opts.Name, err)
	}
	return &Redis{client: client, opts: opts, ld: loader{m: m, timeout: opts.LoadTimeout}, counter: opts.Prefix + "gen"}, nil
}

// subtreeMarker names the generation of the hierarchy node prefix ("" is the root).
func (c *Redis) subtreeMarker(prefix string) string { return c.opts.Prefix + "t:" + prefix }

// path returns the generation markers a value under key depends on: every node from the root
// down to key itself (DeletePrefix), then key's own marker (Delete); and the data key base.
func (c *Redis) path(key string) (markers []string, base string) {
	markers = make([]string, 0, strings.Count(key, ":")+3)
	markers = append(markers, c.subtreeMarker(""))
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			markers = append(markers, c.subtreeMarker(key[:i]))
		}
	}
	markers = append(markers, c.subtreeMarker(key), c.opts.Prefix+"s:"+key)
	return markers, c.opts.Prefix + "d:" + key
}

// Ping implements Cache.
func (c *Redis) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis cache ping: %w", err)
	}
	return nil
}

// Close implements Cache; the client belongs to the caller and stays open.
func (c *Redis) Close() error { return nil }

// Get implements Cache.
func (c *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return c.ld.get(ctx, c, key)
}

func (c *Redis) lookup(ctx context.Context, key string) ([]byte, bool, stamp, error) {
	if err := checkKey(key); err != nil {
		return nil, false, stamp{}, err
	}
	markers, base := c.path(key)
	res, err := redisGet.Run(ctx, c.client, markers, base).Slice()
	if err != nil {
		return nil, false, stamp{}, fmt.Errorf("redis cache get %q: %w", key, err)
	}
	if len(res) != 2 {
		return nil, false, stamp{}, fmt.Errorf("redis cache get %q: unexpected reply %v", key, res)
	}
	vec, _ := res[0].(string)
	st := stamp{valid: vec != "", gens: vec}
	val, ok := res[1].(string)
	if !ok {
		return nil, false, st, nil
	}
	return []byte(val), true, st, nil
}

// Set implements Cache.
func (c *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return c.storeIf(ctx, key, val, ttl, stamp{})
}

func (c *Redis) storeIf(ctx context.Context, key string, val []byte, ttl time.Duration, st stamp) error {
	if err := checkKey(key); err != nil {
		return err
	}
	markers, base := c.path(key)
	ms := clampTTL(ttl, c.opts.MaxTTL).Milliseconds()
	if ms < 1 {
		ms = 1
	}
	if err := redisSet.Run(ctx, c.client, markers, base, val, ms, st.gens).Err(); err != nil {
		return fmt.Errorf("redis cache set %q: %w", key, err)
	}
	return nil
}

// Delete implements Cache: one script per key, each O(1).
func (c *Redis) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
	}
	for _, k := range keys {
		markers, base := c.path(k)
		if err := redisDel.Run(ctx, c.client, append(markers, c.counter), base, c.opts.MaxTTL.Milliseconds()).Err(); err != nil {
			return fmt.Errorf("redis cache delete %q: %w", k, err)
		}
	}
	return nil
}

// DeletePrefix implements Cache in O(1): it moves the node's generation (see Redis).
func (c *Redis) DeletePrefix(ctx context.Context, prefix string) error {
	p, err := normPrefix(prefix)
	if err != nil {
		return err
	}
	if err := redisBump.Run(ctx, c.client, []string{c.subtreeMarker(p), c.counter}, c.opts.MaxTTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("redis cache delete prefix %q: %w", prefix, err)
	}
	return nil
}

// GetOrLoad implements Cache.
func (c *Redis) GetOrLoad(ctx context.Context, key string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	return c.ld.getOrLoad(ctx, c, key, ttl, load)
}
