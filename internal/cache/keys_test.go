package cache_test

import (
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/cache"
)

// The key builders put each entry where the matching invalidation finds it, and nowhere else.
func TestKeyHierarchy(t *testing.T) {
	c := newMemory(t, cache.MemoryOptions{})
	ctx := t.Context()
	keys := map[string]string{
		"detail":       cache.SIMDetailKey("8988280666000000001"),
		"usage":        cache.SIMUsageKey("8988280666000000001", "2026-01-01..2026-01-31:daily"),
		"other-detail": cache.SIMDetailKey("89882806660000000010"), // shares a string prefix only
		"list":         cache.SIMListKey("status=ACTIVE&sort=-iccid&page=2"),
		"product":      cache.ProductKey("pricing"),
		"odd-iccid":    cache.SIMDetailKey("a:b%c"),
	}
	for _, k := range keys {
		if err := c.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatalf("Set(%q): %v", k, err)
		}
	}
	present := func(name string) bool {
		_, ok, err := c.Get(ctx, keys[name])
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if err := c.DeletePrefix(ctx, cache.SIMPrefix("8988280666000000001")); err != nil {
		t.Fatal(err)
	}
	if present("detail") || present("usage") {
		t.Fatal("a SIM write left its entries")
	}
	if !present("other-detail") || !present("list") || !present("product") || !present("odd-iccid") {
		t.Fatal("a SIM write invalidated unrelated entries")
	}
	if err := c.DeletePrefix(ctx, cache.SIMPrefix("a:b")); err != nil {
		t.Fatal(err)
	}
	if !present("odd-iccid") {
		t.Fatal("an escaped ':' in an ICCID still split the key")
	}
	if err := c.DeletePrefix(ctx, cache.SIMListPrefix); err != nil {
		t.Fatal(err)
	}
	if present("list") || !present("product") {
		t.Fatal("list invalidation missed or overreached")
	}
	a1, a2 := cache.SIMListKey("status=ACTIVE"), cache.SIMListKey("status="+"ACTIVE")
	if a1 != a2 || a1 == cache.SIMListKey("status=DISABLED") {
		t.Fatal("list keys are not a function of the query")
	}
}
