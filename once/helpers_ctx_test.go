package once

import (
	"context"
	"testing"
)

// testContext is testing.TB.Context for the Go releases this module supports (it came in 1.24):
// a context canceled when the test ends.
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	return ctx
}
