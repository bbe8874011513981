package cache

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MemoryOptions configure a Memory cache. Zero values take the documented defaults.
type MemoryOptions struct {
	// Name labels the cache's metrics (default "memory").
	Name string
	// MaxBytes bounds keys plus values plus a fixed per-entry overhead (default 64 MiB); the
	// least recently used entries are evicted to stay under it.
	MaxBytes int64
	// MaxEntries bounds the number of entries (default unbounded: MaxBytes rules).
	MaxEntries int
	// MaxTTL caps every entry's life (default DefaultMaxTTL).
	MaxTTL time.Duration
	// JanitorInterval is how often expired entries are swept (default 1 min); lookups drop
	// expired entries on their own, the janitor frees memory of keys nobody asks for again.
	JanitorInterval time.Duration
	// LoadTimeout bounds a GetOrLoad load (default DefaultLoadTimeout).
	LoadTimeout time.Duration
	// Registerer receives the hit/miss counters; nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// entryOverhead approximates the bookkeeping bytes of one entry (list element, map slot,
// struct), so that many tiny entries still count against MaxBytes.
const entryOverhead = 128

// Memory is the in-process Cache: an LRU bounded by bytes and entries, with TTL expiry. It is
// safe for concurrent use; Close stops its janitor.
type Memory struct {
	opts MemoryOptions
	ld   loader

	mu    sync.Mutex
	lru   *list.List // front = most recently used; values are *memEntry
	items map[string]*list.Element
	bytes int64
	// epoch counts invalidations; a GetOrLoad stores only if none happened while it loaded.
	epoch  uint64
	closed bool

	stop chan struct{}
	done chan struct{}
}

type memEntry struct {
	key     string
	val     []byte
	expires time.Time
}

func (e *memEntry) size() int64 { return int64(len(e.key)+len(e.val)) + entryOverhead }

var _ Cache = (*Memory)(nil)

// NewMemory returns a started Memory cache; call Close to stop its janitor.
func NewMemory(opts MemoryOptions) (*Memory, error) {
	if opts.Name == "" {
		opts.Name = "memory"
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = DefaultMaxTTL
	}
	if opts.JanitorInterval <= 0 {
		opts.JanitorInterval = time.Minute
	}
	if opts.LoadTimeout <= 0 {
		opts.LoadTimeout = DefaultLoadTimeout
	}
	m, err := newMetrics(opts.Registerer, opts.Name)
	if err != nil {
		return nil, fmt.Errorf("memory cache %q: %w", opts.Name, err)
	}
	c := &Memory{
		opts:  opts,
		ld:    loader{m: m, timeout: opts.LoadTimeout},
		lru:   list.New(),
		items: make(map[string]*list.Element),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go c.janitor()
	return c, nil
}

func (c *Memory) janitor() {
	defer close(c.done)
	t := time.NewTicker(c.opts.JanitorInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.sweep(now)
		}
	}
}

func (c *Memory) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.lru.Back(); el != nil; {
		prev := el.Prev()
		if e := el.Value.(*memEntry); !now.Before(e.expires) {
			c.remove(el)
		}
		el = prev
	}
}

// Close stops the janitor and empties the cache. It is safe to call more than once.
func (c *Memory) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.lru.Init()
	clear(c.items)
	c.bytes = 0
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	return nil
}

// Ping reports ErrClosed after Close; an open Memory cache is always available.
func (c *Memory) Ping(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return nil
}

// Len returns the number of entries held, expired ones not yet swept included.
func (c *Memory) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Get implements Cache. The returned slice is the caller's own copy.
func (c *Memory) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return c.ld.get(ctx, c, key)
}

func (c *Memory) lookup(_ context.Context, key string) ([]byte, bool, stamp, error) {
	if err := checkKey(key); err != nil {
		return nil, false, stamp{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false, stamp{}, ErrClosed
	}
	st := stamp{valid: true, epoch: c.epoch}
	el, ok := c.items[key]
	if !ok {
		return nil, false, st, nil
	}
	e := el.Value.(*memEntry)
	if !time.Now().Before(e.expires) {
		c.remove(el)
		return nil, false, st, nil
	}
	c.lru.MoveToFront(el)
	return append([]byte(nil), e.val...), true, st, nil
}

// Set implements Cache. The cache keeps its own copy of val.
func (c *Memory) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return c.storeIf(ctx, key, val, ttl, stamp{})
}

func (c *Memory) storeIf(_ context.Context, key string, val []byte, ttl time.Duration, st stamp) error {
	if err := checkKey(key); err != nil {
		return err
	}
	e := &memEntry{key: key, val: append([]byte(nil), val...), expires: time.Now().Add(clampTTL(ttl, c.opts.MaxTTL))}
	if e.size() > c.opts.MaxBytes {
		return fmt.Errorf("%w: %q is %d bytes, the cache holds %d", ErrTooLarge, key, e.size(), c.opts.MaxBytes)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if st.valid && st.epoch != c.epoch {
		return nil // invalidated while loading: the value may predate the write
	}
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.lru.PushFront(e)
	c.bytes += e.size()
	for c.bytes > c.opts.MaxBytes || (c.opts.MaxEntries > 0 && c.lru.Len() > c.opts.MaxEntries) {
		c.remove(c.lru.Back())
	}
	return nil
}

func (c *Memory) remove(el *list.Element) {
	e := c.lru.Remove(el).(*memEntry)
	delete(c.items, e.key)
	c.bytes -= e.size()
}

// Delete implements Cache.
func (c *Memory) Delete(_ context.Context, keys ...string) error {
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.epoch++
	for _, k := range keys {
		if el, ok := c.items[k]; ok {
			c.remove(el)
		}
	}
	return nil
}

// DeletePrefix implements Cache. It walks the entries, which is bounded by the cache's size
// and frees the memory at once.
func (c *Memory) DeletePrefix(_ context.Context, prefix string) error {
	p, err := normPrefix(prefix)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.epoch++
	for k, el := range c.items {
		if under(k, p) {
			c.remove(el)
		}
	}
	return nil
}

// GetOrLoad implements Cache.
func (c *Memory) GetOrLoad(ctx context.Context, key string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	return c.ld.getOrLoad(ctx, c, key, ttl, load)
}
