package logbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWriterFlushesOnCloseAndPeriodically(t *testing.T) {
	var out syncBuffer
	w := New(&out, time.Millisecond)
	if _, err := w.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatal("the periodic flush never wrote the line")
		}
		time.Sleep(time.Millisecond)
	}
	w2 := New(&out, time.Hour)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = w2.Write([]byte(strings.Repeat("x", i) + "\n"))
		}()
	}
	wg.Wait()
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 51 {
		t.Fatalf("%d lines after close, want 51", n)
	}
	_ = w.Close()
}
