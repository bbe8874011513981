package oncesim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// StreamFormat selects the generation of Data Streamer records the emitter sends.
type StreamFormat string

// Stream formats (see records.go for the exact shapes).
const (
	// StreamV1 sends today's usage and event records (UsageRecord, EventRecord), as 1NCE's
	// Data Streamer documentation describes them.
	StreamV1 StreamFormat = "v1"
	// StreamV2 sends Platform 2.0 usage events and events (UsageRecordV2, EventRecordV2): the
	// same objects with the IMSI inside sim, data sessions named by ipcan_session_id, data
	// volumes in whole kilobytes rounded up per session, and SMS counts in sms_count.
	StreamV2 StreamFormat = "v2"
)

// Emitter defaults and limits.
const (
	// MaxStreamBatch is 1NCE's limit of records per request.
	MaxStreamBatch        = 3000
	defaultFlushInterval  = time.Second
	defaultRetryInitial   = 500 * time.Millisecond
	defaultRetryMax       = 30 * time.Second
	defaultRequestTimeout = 30 * time.Second
)

// EmitterOptions configure an Emitter. Streams are chosen by which URLs are set: URL alone is
// one stream carrying usage and events (a v1 "both" stream); UsageURL and/or EventsURL are
// separate streams, of which either may be left out to not stream that kind. Platform 2.0 has
// no combined stream, so StreamV2 needs the separate URLs.
type EmitterOptions struct {
	URL       string
	UsageURL  string
	EventsURL string
	// Username and Password are sent as HTTP Basic auth on every request, as configured in the
	// 1NCE portal. Both empty sends no Authorization header.
	Username string
	Password string
	// Format is StreamV1 (default) or StreamV2.
	Format StreamFormat
	// BatchSize is the most records per request: default and maximum MaxStreamBatch.
	BatchSize int
	// FlushInterval is how long a partial batch waits for more records (default 1s).
	FlushInterval time.Duration
	// DuplicateRate is the fraction of acknowledged records sent once more in a later batch,
	// as 1NCE's at-least-once delivery does, to test the receiver's idempotency.
	DuplicateRate float64
	// HTTPClient sends the requests (default: a client with RequestTimeout). Its redirect
	// policy is replaced: 3xx are never followed, as 1NCE does not follow them.
	HTTPClient *http.Client
	// RequestTimeout bounds one POST, response included (default 30s).
	RequestTimeout time.Duration
	// RetryInitial and RetryMax bound the exponential backoff between re-sends of an
	// unacknowledged batch (defaults 500ms and 30s).
	RetryInitial time.Duration
	RetryMax     time.Duration
	// BufferSize is how many published activities each stream holds before Publish waits
	// (default 4 × BatchSize).
	BufferSize int
}

// EmitterStats counts an Emitter's work. Records are counted per stream delivery: a record
// re-sent counts again in Sent but once in Acked.
type EmitterStats struct {
	// Published counts activities handed to a stream; Skipped those no stream takes.
	Published int64 `json:"published"`
	Skipped   int64 `json:"skipped"`
	// Sent counts records in every POST, re-sends and duplicates included; Batches the POSTs.
	Sent    int64 `json:"sent"`
	Batches int64 `json:"batches"`
	// Acked counts distinct records acknowledged with 200.
	Acked int64 `json:"acked"`
	// Retries counts failed POSTs (each answered by a re-send of the same batch).
	Retries int64 `json:"retries"`
	// Duplicates counts already-acknowledged records sent again on purpose; DuplicatesQueued
	// those chosen for it and not yet sent.
	Duplicates       int64 `json:"duplicates"`
	DuplicatesQueued int64 `json:"duplicates_queued"`
	// Pending counts records published but not yet acknowledged.
	Pending int64 `json:"pending"`
	// Waits counts Publish calls that found the buffer full and waited for room.
	Waits int64 `json:"waits"`
	// Dropped counts activities refused because Run had already ended and the buffer was full.
	Dropped int64 `json:"dropped"`
}

// Emitter is the simulated 1NCE Data Streamer: it turns Activities into stream records and
// POSTs them in batches to the configured endpoints with Basic auth, re-sending each batch with
// backoff until it is answered 200, so delivery is at-least-once as with 1NCE.
//
// Publish never drops a record while Run is running. Each stream has a bounded buffer; when
// the receiver falls so far behind that it is full, Publish waits for room — backpressure on
// the simulator rather than unbounded memory or silent loss. Before Run starts, the buffer
// simply fills; after Run ends, an activity that does not fit is counted in Stats().Dropped.
type Emitter struct {
	opts    EmitterOptions
	client  *http.Client
	streams []*emitStream
	usage   *emitStream // stream taking usage, or nil
	events  *emitStream // stream taking events, or nil

	started atomic.Bool
	done    chan struct{}

	published, skipped, sent, batches, acked, retries, duplicates, waits, dropped atomic.Int64
}

// emitStream is one stream: one endpoint with its own queue, batch loop and backoff.
type emitStream struct {
	url   string
	queue chan Activity
	// dups are acknowledged records waiting to be sent once more; queuedDups mirrors their
	// number for Stats, which runs on other goroutines.
	dups       []emitRecord
	queuedDups atomic.Int64
	// pending counts records of this stream published and not yet acknowledged.
	pending atomic.Int64
	// rng picks duplicates; one per stream, used only by its loop, so each stream's choices
	// depend on the seed and its own records alone.
	rng *rand.Rand
}

// emitRecord is one encoded record; dup marks a deliberate re-send of an acknowledged one.
type emitRecord struct {
	id   int64
	json json.RawMessage
	dup  bool
}

// NewEmitter checks opts and returns an emitter whose duplicate choices come from seed.
func NewEmitter(opts EmitterOptions, seed int64) (*Emitter, error) {
	if opts.Format == "" {
		opts.Format = StreamV1
	}
	if opts.Format != StreamV1 && opts.Format != StreamV2 {
		return nil, fmt.Errorf("oncesim: emitter: format %q: want %q or %q", opts.Format, StreamV1, StreamV2)
	}
	combined := opts.URL != ""
	if combined && (opts.UsageURL != "" || opts.EventsURL != "") {
		return nil, errors.New("oncesim: emitter: set either URL (one stream for both) or UsageURL/EventsURL, not both")
	}
	if !combined && opts.UsageURL == "" && opts.EventsURL == "" {
		return nil, errors.New("oncesim: emitter: no stream URL set (URL, UsageURL or EventsURL)")
	}
	if combined && opts.Format == StreamV2 {
		return nil, errors.New("oncesim: emitter: Platform 2.0 (v2) has no combined stream; set UsageURL and/or EventsURL")
	}
	for _, u := range []string{opts.URL, opts.UsageURL, opts.EventsURL} {
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("oncesim: emitter: stream URL %q: want an absolute http(s) URL", u)
		}
	}
	switch {
	case opts.BatchSize == 0:
		opts.BatchSize = MaxStreamBatch
	case opts.BatchSize < 0 || opts.BatchSize > MaxStreamBatch:
		return nil, fmt.Errorf("oncesim: emitter: batch size %d: want 1..%d", opts.BatchSize, MaxStreamBatch)
	}
	if opts.DuplicateRate < 0 || opts.DuplicateRate > 1 || math.IsNaN(opts.DuplicateRate) {
		return nil, fmt.Errorf("oncesim: emitter: duplicate rate %v: want [0,1]", opts.DuplicateRate)
	}
	if opts.FlushInterval < 0 || opts.RetryInitial < 0 || opts.RetryMax < 0 || opts.RequestTimeout < 0 || opts.BufferSize < 0 {
		return nil, errors.New("oncesim: emitter: durations and buffer size must not be negative")
	}
	opts.FlushInterval = cmp.Or(opts.FlushInterval, defaultFlushInterval)
	opts.RetryInitial = cmp.Or(opts.RetryInitial, defaultRetryInitial)
	opts.RetryMax = max(cmp.Or(opts.RetryMax, defaultRetryMax), opts.RetryInitial)
	opts.RequestTimeout = cmp.Or(opts.RequestTimeout, defaultRequestTimeout)
	opts.BufferSize = cmp.Or(opts.BufferSize, 4*opts.BatchSize)

	// A copy, so that replacing the redirect policy does not change the caller's client.
	var client http.Client
	if opts.HTTPClient != nil {
		client = *opts.HTTPClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	e := &Emitter{
		opts:   opts,
		client: &client,
		done:   make(chan struct{}),
	}
	newStream := func(u string) *emitStream {
		s := &emitStream{
			url:   u,
			queue: make(chan Activity, opts.BufferSize),
			rng:   rand.New(rand.NewPCG(uint64(seed), 0x73747265616d+uint64(len(e.streams)))), // "stream"+n
		}
		e.streams = append(e.streams, s)
		return s
	}
	if combined {
		e.usage = newStream(opts.URL)
		e.events = e.usage
	} else {
		if opts.UsageURL != "" {
			e.usage = newStream(opts.UsageURL)
		}
		if opts.EventsURL != "" {
			e.events = newStream(opts.EventsURL)
		}
	}
	return e, nil
}

// Publish queues a for its stream. It returns at once unless the stream's buffer is full, in
// which case it waits until Run makes room (see Emitter). Activities no configured stream
// takes are counted as Skipped.
func (e *Emitter) Publish(a Activity) {
	var s *emitStream
	switch a.Kind {
	case ActivityUsage:
		s = e.usage
	case ActivityEvent:
		s = e.events
	}
	if s == nil {
		e.skipped.Add(1)
		return
	}
	s.pending.Add(1)
	select {
	case s.queue <- a:
		e.published.Add(1)
		return
	default:
	}
	e.waits.Add(1)
	select {
	case s.queue <- a:
		e.published.Add(1)
	case <-e.done:
		s.pending.Add(-1)
		e.dropped.Add(1)
	}
}

// Stats returns a snapshot of the counters.
func (e *Emitter) Stats() EmitterStats {
	st := EmitterStats{
		Published: e.published.Load(), Skipped: e.skipped.Load(), Sent: e.sent.Load(),
		Batches: e.batches.Load(), Acked: e.acked.Load(), Retries: e.retries.Load(),
		Duplicates: e.duplicates.Load(), Waits: e.waits.Load(), Dropped: e.dropped.Load(),
	}
	for _, s := range e.streams {
		st.Pending += s.pending.Load()
		st.DuplicatesQueued += s.queuedDups.Load()
	}
	return st
}

// Run delivers records until ctx is done, then returns nil. Records not yet acknowledged by
// then stay counted in Stats().Pending. Run may be called once.
func (e *Emitter) Run(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("oncesim: emitter: Run called twice")
	}
	defer close(e.done)
	var wg sync.WaitGroup
	for _, s := range e.streams {
		wg.Add(1)
		go func() { defer wg.Done(); e.runStream(ctx, s) }()
	}
	wg.Wait()
	return nil
}

// runStream is one stream's loop: gather a batch (full, or whatever came within
// FlushInterval), deliver it until acknowledged, repeat.
func (e *Emitter) runStream(ctx context.Context, s *emitStream) {
	timer := time.NewTimer(e.opts.FlushInterval)
	defer timer.Stop()
	batch := make([]emitRecord, 0, e.opts.BatchSize)
	for {
		// Duplicates of acknowledged records ride along first, as 1NCE re-sends interleave
		// with new records.
		n := min(len(s.dups), e.opts.BatchSize)
		batch = append(batch[:0], s.dups[:n]...)
		s.dups = s.dups[n:]
		s.queuedDups.Add(-int64(n))
		// Since Go 1.23 Reset discards a pending tick, so no drain is needed.
		timer.Reset(e.opts.FlushInterval)
	gather:
		for len(batch) < e.opts.BatchSize {
			select {
			case a := <-s.queue:
				rec, err := e.encode(a)
				if err != nil {
					// Activity fields are plain values; encoding cannot fail short of a bug.
					panic(fmt.Sprintf("oncesim: emitter: encoding record %d: %v", a.ID, err))
				}
				batch = append(batch, rec)
			case <-timer.C:
				break gather
			case <-ctx.Done():
				return
			}
		}
		if len(batch) == 0 {
			continue
		}
		if err := e.deliver(ctx, s, batch); err != nil {
			return // ctx done; the batch stays pending
		}
		e.acknowledged(s, batch)
	}
}

// encode turns an Activity into its record in the configured format.
func (e *Emitter) encode(a Activity) (emitRecord, error) {
	var v any
	switch {
	case a.Kind == ActivityUsage && e.opts.Format == StreamV2:
		v = NewUsageRecordV2(a)
	case a.Kind == ActivityUsage:
		v = NewUsageRecord(a)
	case e.opts.Format == StreamV2:
		v = NewEventRecordV2(a)
	default:
		v = NewEventRecord(a)
	}
	b, err := json.Marshal(v)
	return emitRecord{id: a.ID, json: b}, err
}

// acknowledged books an acknowledged batch and picks the records to duplicate later.
func (e *Emitter) acknowledged(s *emitStream, batch []emitRecord) {
	fresh := int64(0)
	for _, r := range batch {
		if r.dup {
			continue
		}
		fresh++
		// One draw per fresh record whatever the rate, to keep choices aligned across runs.
		if u := s.rng.Float64(); u < e.opts.DuplicateRate {
			s.dups = append(s.dups, emitRecord{id: r.id, json: r.json, dup: true})
			s.queuedDups.Add(1)
		}
	}
	e.acked.Add(fresh)
	s.pending.Add(-fresh)
}

// errNotAcked is a POST that did not get 200; the batch goes again.
var errNotAcked = errors.New("oncesim: emitter: batch not acknowledged")

// deliver POSTs batch until it gets 200 or ctx is done, backing off exponentially between
// tries without a limit on their number, as the stream's contract is to deliver. It fails only
// when ctx is done.
func (e *Emitter) deliver(ctx context.Context, s *emitStream, batch []emitRecord) error {
	// The records are json.Marshal output already; joining them avoids re-validating each.
	var buf bytes.Buffer
	buf.WriteByte('[')
	dups := int64(0)
	for i, r := range batch {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r.json)
		if r.dup {
			dups++
		}
	}
	buf.WriteByte(']')
	payload := buf.Bytes()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = e.opts.RetryInitial, e.opts.RetryMax
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		e.batches.Add(1)
		e.sent.Add(int64(len(batch)))
		e.duplicates.Add(dups)
		return struct{}{}, e.post(ctx, s.url, payload)
	},
		backoff.WithBackOff(b),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(error, time.Duration) { e.retries.Add(1) }),
	)
	return err
}

// post sends one batch; only a 200 acknowledges it.
func (e *Emitter) post(ctx context.Context, u string, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, e.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		// NewEmitter validated the URL, so this cannot happen; were it to, the batch stays
		// unacknowledged and counted in Retries rather than vanishing.
		return fmt.Errorf("%w: building request: %w", errNotAcked, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "oncesim-datastreamer")
	if e.opts.Username != "" || e.opts.Password != "" {
		req.SetBasicAuth(e.opts.Username, e.opts.Password)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotAcked, err)
	}
	// Drain a little so the connection can be reused; receivers answer briefly.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	// A receiver that asks for a pause gets it, within the backoff's ceiling.
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		return &backoff.RetryAfterError{Duration: min(time.Duration(secs)*time.Second, e.opts.RetryMax)}
	}
	return fmt.Errorf("%w: status %d", errNotAcked, resp.StatusCode)
}
