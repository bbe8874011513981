package cache

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/redis/go-redis/v9"
)

// Lock errors.
var (
	// ErrNotAcquired reports that another owner holds the lock.
	ErrNotAcquired = errors.New("cache: lock held by another owner")
	// ErrLockLost reports that a Lock handle no longer owns its lock: it expired (and perhaps
	// another owner took it) or was already released.
	ErrLockLost = errors.New("cache: lock not held")
)

// LockerOptions configure RedisLocker and MemoryLocker.
type LockerOptions struct {
	// Prefix namespaces lock keys in Redis (default "oncefleet:lock:"); MemoryLocker ignores it.
	Prefix string
	// RetryMin and RetryMax bound the exponential backoff of Lock between attempts
	// (defaults 10 ms and 1 s).
	RetryMin, RetryMax time.Duration
}

func (o *LockerOptions) defaults() {
	if o.Prefix == "" {
		o.Prefix = "oncefleet:lock:"
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 10 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(time.Second, o.RetryMin)
	}
}

// lockBackend is what a Lock handle needs from its locker.
type lockBackend interface {
	release(ctx context.Context, name, token string) (bool, error)
	extend(ctx context.Context, name, token string, ttl time.Duration) (bool, error)
}

// Lock is a held lock. It expires after its TTL unless extended, so a crashed holder never
// blocks others for longer than that. Release and extension check the holder's random token:
// a holder whose lock expired cannot touch the next owner's lock.
type Lock struct {
	name  string
	token string
	be    lockBackend
}

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Unlock releases the lock. It returns ErrLockLost when the lock had already expired or been
// released: whatever it protected may have been touched by another owner meanwhile.
func (l *Lock) Unlock(ctx context.Context) error {
	ok, err := l.be.release(ctx, l.name, l.token)
	if err != nil {
		return fmt.Errorf("unlock %q: %w", l.name, err)
	}
	if !ok {
		return fmt.Errorf("unlock %q: %w", l.name, ErrLockLost)
	}
	return nil
}

// Extend resets the lock's expiry to ttl from now, or returns ErrLockLost if it is no longer
// held.
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("extend %q: ttl must be positive, got %s", l.name, ttl)
	}
	ok, err := l.be.extend(ctx, l.name, l.token, ttl)
	if err != nil {
		return fmt.Errorf("extend %q: %w", l.name, err)
	}
	if !ok {
		return fmt.Errorf("extend %q: %w", l.name, ErrLockLost)
	}
	return nil
}

func newToken() string { return rand.Text() }

func checkLockArgs(name string, ttl time.Duration) error {
	if name == "" {
		return errors.New("lock: empty name")
	}
	if ttl <= 0 {
		return fmt.Errorf("lock %q: ttl must be positive, got %s", name, ttl)
	}
	return nil
}

// lockWithRetry retries try with exponential backoff until it succeeds, fails with something
// other than ErrNotAcquired or a transient backend error, or ctx ends.
func lockWithRetry(ctx context.Context, opts LockerOptions, name string, try func() (*Lock, error)) (*Lock, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = opts.RetryMin
	b.MaxInterval = opts.RetryMax
	var last error
	held := false
	l, err := backoff.Retry(ctx, func() (*Lock, error) {
		l, err := try()
		last = err
		held = held || errors.Is(err, ErrNotAcquired)
		return l, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0))
	if err != nil {
		if last != nil && !errors.Is(err, last) {
			err = errors.Join(err, last)
		}
		// The deadline may cut the last attempt's Redis call short; the caller still needs to
		// know the lock was held by someone else.
		if held && !errors.Is(err, ErrNotAcquired) {
			err = errors.Join(err, ErrNotAcquired)
		}
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	return l, nil
}

// RedisLocker hands out locks shared by every replica on one Redis: SET NX PX with a random
// token, released and extended by Lua scripts that check the token.
type RedisLocker struct {
	client *redis.Client
	opts   LockerOptions
}

var (
	redisUnlock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
	redisExtend = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)
)

// NewRedisLocker returns a locker on client, which the caller owns.
func NewRedisLocker(client *redis.Client, opts LockerOptions) *RedisLocker {
	opts.defaults()
	return &RedisLocker{client: client, opts: opts}
}

// TryLock takes the lock name for ttl, or returns ErrNotAcquired at once if another owner
// holds it.
func (r *RedisLocker) TryLock(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if err := checkLockArgs(name, ttl); err != nil {
		return nil, err
	}
	token := newToken()
	ok, err := r.client.SetNX(ctx, r.opts.Prefix+name, token, ttl).Result()
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock %q: %w", name, ErrNotAcquired)
	}
	return &Lock{name: name, token: token, be: r}, nil
}

// Lock waits for the lock name, retrying with backoff until it is taken or ctx ends.
func (r *RedisLocker) Lock(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if err := checkLockArgs(name, ttl); err != nil {
		return nil, err
	}
	return lockWithRetry(ctx, r.opts, name, func() (*Lock, error) { return r.TryLock(ctx, name, ttl) })
}

func (r *RedisLocker) release(ctx context.Context, name, token string) (bool, error) {
	n, err := redisUnlock.Run(ctx, r.client, []string{r.opts.Prefix + name}, token).Int()
	return n == 1, err
}

func (r *RedisLocker) extend(ctx context.Context, name, token string, ttl time.Duration) (bool, error) {
	n, err := redisExtend.Run(ctx, r.client, []string{r.opts.Prefix + name}, token, max(ttl.Milliseconds(), 1)).Int()
	return n == 1, err
}

// MemoryLocker is RedisLocker's in-process equivalent for single-replica deployments: same
// methods, same expiry and token rules.
type MemoryLocker struct {
	opts  LockerOptions
	mu    sync.Mutex
	locks map[string]memLock
}

type memLock struct {
	token   string
	expires time.Time
}

// NewMemoryLocker returns an empty in-process locker.
func NewMemoryLocker(opts LockerOptions) *MemoryLocker {
	opts.defaults()
	return &MemoryLocker{opts: opts, locks: make(map[string]memLock)}
}

// sweepAbove is the map size past which TryLock drops expired locks, so names used once do
// not accumulate.
const sweepAbove = 1024

// TryLock takes the lock name for ttl, or returns ErrNotAcquired at once if another owner
// holds it.
func (m *MemoryLocker) TryLock(_ context.Context, name string, ttl time.Duration) (*Lock, error) {
	if err := checkLockArgs(name, ttl); err != nil {
		return nil, err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.locks[name]; ok && now.Before(cur.expires) {
		return nil, fmt.Errorf("lock %q: %w", name, ErrNotAcquired)
	}
	if len(m.locks) > sweepAbove {
		for k, l := range m.locks {
			if !now.Before(l.expires) {
				delete(m.locks, k)
			}
		}
	}
	token := newToken()
	m.locks[name] = memLock{token: token, expires: now.Add(ttl)}
	return &Lock{name: name, token: token, be: m}, nil
}

// Lock waits for the lock name, retrying with backoff until it is taken or ctx ends.
func (m *MemoryLocker) Lock(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if err := checkLockArgs(name, ttl); err != nil {
		return nil, err
	}
	return lockWithRetry(ctx, m.opts, name, func() (*Lock, error) { return m.TryLock(ctx, name, ttl) })
}

// held reports whether token owns an unexpired lock on name; the caller holds m.mu.
func (m *MemoryLocker) held(name, token string) bool {
	cur, ok := m.locks[name]
	return ok && cur.token == token && time.Now().Before(cur.expires)
}

func (m *MemoryLocker) release(_ context.Context, name, token string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.held(name, token) {
		return false, nil
	}
	delete(m.locks, name)
	return true, nil
}

func (m *MemoryLocker) extend(_ context.Context, name, token string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.held(name, token) {
		return false, nil
	}
	m.locks[name] = memLock{token: token, expires: time.Now().Add(ttl)}
	return true, nil
}
