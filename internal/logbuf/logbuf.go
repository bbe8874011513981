// Package logbuf batches log output: a line per request written straight to stderr is a
// system call per request, which at tens of thousands of requests a second costs a large share
// of a core. Writes go to a buffer flushed every interval, when it fills, and on Close; a
// crash loses at most one interval of log lines.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// DefaultInterval is how long a log line may wait in the buffer.
const DefaultInterval = 200 * time.Millisecond

// Writer is a buffered, periodically flushed writer, safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New buffers writes to w and flushes them every interval (DefaultInterval when <= 0) until
// Close.
func New(w io.Writer, interval time.Duration) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	lw := &Writer{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.loop(interval)
	return lw
}

func (w *Writer) loop(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.Flush()
		}
	}
}

// Write buffers p. Log handlers write one whole record per call, so records never interleave.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Close stops the periodic flush and writes what is left. Safe to call more than once.
func (w *Writer) Close() error {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
	})
	return w.Flush()
}
