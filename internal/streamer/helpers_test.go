package streamer_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/streamer"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// backendStore is what the receiver needs from a storage backend.
type backendStore interface {
	streamer.Saver
	streamer.ApplyStore
	streamer.HealthStore
	StreamerBacklog(ctx context.Context) (record.Backlog, error)
}

var backends = []string{"postgres", "sqlite"}

// openBackend returns a fresh migrated store and a database/sql handle to read results back.
func openBackend(t testing.TB, name string) (backendStore, *sql.DB) {
	t.Helper()
	switch name {
	case "postgres":
		s := dbtest.NewPostgres(t)
		return s, sqlDB(t, s)
	case "sqlite":
		s := dbtest.NewSQLite(t)
		return s, s.DB()
	}
	t.Fatalf("unknown backend %q", name)
	return nil, nil
}

var cred = streamer.Credential{Username: "1nce-stream", Password: "s3cret-streamer-pass"}

// newServer serves a receiver on loopback over the given store.
func newServer(t testing.TB, s streamer.Saver, c streamer.Credential) (*httptest.Server, *streamer.Metrics) {
	t.Helper()
	m, err := streamer.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(streamer.NewHandler(streamer.HandlerConfig{Store: s, Credential: c, Metrics: m}))
	t.Cleanup(srv.Close)
	return srv, m
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type response struct {
	status int
	header http.Header
	body   string
}

func post(t testing.TB, url, user, pass, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func count(t testing.TB, db *sql.DB, query string) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n.Int64
}

// applyAll runs the applier until nothing is pending.
func applyAll(t testing.TB, a *streamer.Applier) int {
	t.Helper()
	total := 0
	for {
		n, err := a.ApplyOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func newHTTPServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// sqlDB is a database/sql handle on a PostgreSQL store's pool.
func sqlDB(t testing.TB, s interface{ Pool() *pgxpool.Pool }) *sql.DB {
	t.Helper()
	db := stdlib.OpenDBFromPool(s.Pool())
	t.Cleanup(func() { db.Close() })
	return db
}
