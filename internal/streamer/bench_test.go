package streamer_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/streamer"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// benchRecord is a v1 usage record of realistic size (about 800 bytes) with %d for the id.
const benchRecord = `{"id":%d,"traffic_type":{"id":5,"description":"Data"},"start_timestamp":"2026-11-20T10:00:00Z","end_timestamp":"2026-11-20T10:15:00Z","organisation":{"id":4321,"name":"81001234"},"sim":{"id":%d,"iccid":"89882806660%08d","msisdn":"882285100000017","production_date":"2025-03-01T00:00:00Z"},"imsi":"901405100000017","imsi_id":17,"endpoint":{"id":17,"name":"meter-17","ip_address":"10.200.0.17","imei":"356938035643809","tags":null,"balance":null},"operator":{"id":2,"name":"Telekom","mnc":"01","country":{"id":74,"mcc":"262","name":"Germany"}},"tariff":{"id":398,"name":"Production 01","ratezone":{"id":2067,"name":"Zone 2"}},"currency":{"id":1,"code":"EUR","symbol":"€"},"cost":0.0011760000,"volume":{"rx":0.120000,"tx":0.030000,"total":0.150000}}`

// benchBodies builds n request bodies of streamer.MaxRecords records with ids unique across
// all of them, before the timer starts.
func benchBodies(n int) []string {
	out := make([]string, n)
	id := 1
	for i := range out {
		var b strings.Builder
		b.Grow(streamer.MaxRecords * 850)
		b.WriteByte('[')
		for j := range streamer.MaxRecords {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, benchRecord, id, id%10000, id%10000)
			id++
		}
		b.WriteByte(']')
		out[i] = b.String()
	}
	return out
}

// rowByRow is the baseline store: one INSERT statement per record inside one transaction, the
// obvious implementation the batched one is measured against.
type rowByRow struct {
	db       *sql.DB
	dollarPH bool
}

func (r rowByRow) SaveStreamerBatch(ctx context.Context, recs []record.Raw) (record.SaveResult, error) {
	var res record.SaveResult
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback() //nolint:errcheck
	q := `INSERT INTO streamer_records (stream, record_id, payload) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	if r.dollarPH {
		q = `INSERT INTO streamer_records (stream, record_id, payload) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	}
	for _, rec := range recs {
		out, err := tx.ExecContext(ctx, q, string(rec.Stream), rec.ID, string(rec.Payload))
		if err != nil {
			return res, err
		}
		if n, _ := out.RowsAffected(); n == 1 {
			res.Inserted.Add(rec.Stream, 1)
		} else {
			res.Duplicates.Add(rec.Stream, 1)
		}
	}
	return res, tx.Commit()
}

// benchIngest posts b.N bodies of 3,000 records over loopback HTTP from `senders` concurrent
// clients and reports records/s and the p50/p99 acknowledgement latency of a request. With
// apply set, an applier drains the stored records at the same time, woken by each commit, as
// in production.
func benchIngest(b *testing.B, saver streamer.Saver, senders int, apply streamer.ApplyStore) {
	bodies := benchBodies(b.N)
	cfg := streamer.HandlerConfig{Store: saver, Credential: cred}
	if apply != nil {
		a := streamer.NewApplier(streamer.ApplierConfig{Store: apply})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = a.Run(ctx) }()
		b.Cleanup(func() { cancel(); <-done })
		cfg.OnCommit = a.Notify
	}
	url := newHTTPServer(b, streamer.NewHandler(cfg)) + streamer.Prefix + "/usage"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	lat := make([]time.Duration, b.N)
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
	}
	close(next)
	b.SetBytes(int64(len(bodies[0])))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for i := range next {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(bodies[i]))
				req.SetBasicAuth(cred.Username, cred.Password)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				lat[i] = time.Since(t0)
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N*streamer.MaxRecords)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ack-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(0, "ns/op") // per-op time is a whole request; records/s is the figure
}

// ingestCases are the ingest benchmarks run on both backends: the batched store alone, with
// the applier draining alongside, and the row-by-row baseline.
var ingestCases = []struct {
	name    string
	senders int
	base    bool
	apply   bool
}{{"batched/1-stream", 1, false, false}, {"batched/4-streams", 4, false, false}, {"batched+applier/4-streams", 4, false, true}, {"baseline-row-by-row/1-stream", 1, true, false}}

// BenchmarkIngestPostgres measures acknowledged ingest into PostgreSQL: the batched store
// (one unnest INSERT per request), sequential and with 4 concurrent streams, against the
// row-by-row baseline in the same run.
func BenchmarkIngestPostgres(b *testing.B) {
	for _, c := range ingestCases {
		b.Run(c.name, func(b *testing.B) {
			s := dbtest.NewPostgres(b)
			var saver streamer.Saver = s
			if c.base {
				saver = rowByRow{db: sqlDB(b, s), dollarPH: true}
			}
			var apply streamer.ApplyStore
			if c.apply {
				apply = s
			}
			benchIngest(b, saver, c.senders, apply)
		})
	}
}

// BenchmarkIngestSQLite is BenchmarkIngestPostgres on the embedded backend.
func BenchmarkIngestSQLite(b *testing.B) {
	for _, c := range ingestCases {
		b.Run(c.name, func(b *testing.B) {
			s := dbtest.NewSQLite(b)
			var saver streamer.Saver = s
			if c.base {
				saver = rowByRow{db: s.DB()}
			}
			var apply streamer.ApplyStore
			if c.apply {
				apply = s
			}
			benchIngest(b, saver, c.senders, apply)
		})
	}
}

// BenchmarkApply measures how fast the applier drains stored records into the usage series,
// SIM mirror and health (10,000 SIMs), in records/s.
func BenchmarkApply(b *testing.B) {
	for _, name := range backends {
		b.Run(name, func(b *testing.B) {
			s, _ := openBackend(b, name)
			bodies := benchBodies(b.N)
			for _, body := range bodies {
				recs, err := streamer.ParseBatch(strings.NewReader(body), record.StreamUsage)
				if err != nil {
					b.Fatal(err)
				}
				raws := make([]record.Raw, len(recs))
				for i, r := range recs {
					raws[i] = record.Raw{Stream: r.Stream, ID: r.ID, Payload: r.Raw}
				}
				if _, err := s.SaveStreamerBatch(context.Background(), raws); err != nil {
					b.Fatal(err)
				}
			}
			a := streamer.NewApplier(streamer.ApplierConfig{Store: s, BatchSize: 1000})
			b.ResetTimer()
			start := time.Now()
			n := applyAll(b, a)
			elapsed := time.Since(start)
			b.StopTimer()
			if n != b.N*streamer.MaxRecords {
				b.Fatalf("applied %d", n)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkSave measures the store call alone (no HTTP, no parsing): one 3,000-record batch
// per op.
func BenchmarkSave(b *testing.B) {
	for _, name := range backends {
		b.Run(name, func(b *testing.B) {
			s, _ := openBackend(b, name)
			bodies := benchBodies(b.N)
			batches := make([][]record.Raw, b.N)
			for i, body := range bodies {
				recs, err := streamer.ParseBatch(strings.NewReader(body), record.StreamUsage)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range recs {
					batches[i] = append(batches[i], record.Raw{Stream: r.Stream, ID: r.ID, Payload: r.Raw})
				}
			}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if _, err := s.SaveStreamerBatch(context.Background(), batches[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*streamer.MaxRecords)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkParse measures ParseBatch on one 3,000-record body per op.
func BenchmarkParse(b *testing.B) {
	body := benchBodies(1)[0]
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		if _, err := streamer.ParseBatch(strings.NewReader(body), ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*streamer.MaxRecords)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPlan measures the applier's CPU side alone: full parse and aggregation of 1,000
// stored records per op.
func BenchmarkPlan(b *testing.B) {
	recs, err := streamer.ParseBatch(strings.NewReader(benchBodies(1)[0]), record.StreamUsage)
	if err != nil {
		b.Fatal(err)
	}
	pending := make([]record.Pending, 1000)
	for i := range pending {
		pending[i] = record.Pending{Stream: recs[i].Stream, ID: recs[i].ID, ReceivedAt: time.Now(), Payload: recs[i].Raw}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := streamer.Plan(context.Background(), pending); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(pending))/b.Elapsed().Seconds(), "records/s")
}
