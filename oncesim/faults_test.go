package oncesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	full := Faults{
		Latency:      LatencyFault{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond, SpikeRate: 0.01, Spike: 2 * time.Second},
		Errors:       map[int]float64{500: 0.1, 502: 0.05, 503: 0.05, 504: 0.01},
		Burst429:     BurstFault{Rate: 0.01, Length: 20, RetryAfter: 2 * time.Second},
		ResetRate:    0.01,
		TruncateRate: 0.01,
		SlowBodyBPS:  4096,
		RevokeRate:   0.001,
	}
	ok := []struct {
		in   string
		want Faults
	}{
		{"", Faults{}},
		{"none", Faults{}},
		{"latency=20ms", Faults{Latency: LatencyFault{Min: 20 * time.Millisecond, Max: 20 * time.Millisecond}}},
		{"latency=5ms..50ms,spike=0.01x2s,500=0.1,502=0.05,503=0.05,504=0.01,429burst=0.01x20@2s,reset=0.01,truncate=0.01,slowbody=4096,revoke=0.001", full},
		{" reset=0.5 , truncate=0.5 ", Faults{ResetRate: 0.5, TruncateRate: 0.5}},
		{"500=0", Faults{}},
		{"429burst=0x20@2s", Faults{}},
		{"spike=0x1s", Faults{}},
	}
	for _, c := range ok {
		got, err := ParseFaults(c.in)
		if err != nil {
			t.Errorf("ParseFaults(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseFaults(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}

	bad := []struct{ in, want string }{
		{"latency", `part 1 "latency": want key=value`},
		{"reset=0.1,,truncate=0.1", `part 2 "": want key=value`},
		{"reset=0.1,reset=0.2", `part 2 "reset=0.2": reset given twice`},
		{"500=1.5", `part 1 "500=1.5": rate "1.5" must be a number in [0,1]`},
		{"500=NaN", `rate "NaN"`},
		{"500=-0.1", `rate "-0.1"`},
		{"404=0.1", `status 404 cannot be injected`},
		{"0500=0.1", `unknown key "0500"`},
		{"latncy=5ms", `unknown key "latncy"`},
		{"latency=5ms..", `duration ""`},
		{"latency=-5ms", `duration "-5ms"`},
		{"latency=50ms..5ms", `latency 50ms..5ms`},
		{"latency=11m", `latency 11m0s..11m0s`},
		{"spike=0.1", `part 1 "spike=0.1": want RATExDURATION`},
		{"spike=0.1x0s", `spike duration 0s`},
		{"429burst=0.1x20", `want RATExLENGTH@RETRYAFTER`},
		{"429burst=0.1x0@1s", `burst length "0"`},
		{"429burst=0.1x5@1500ms", `Retry-After 1.5s: want whole seconds`},
		{"slowbody=-1", `slowbody "-1"`},
		{"500=0.6,503=0.5", `add up to 1.1`},
	}
	for _, c := range bad {
		_, err := ParseFaults(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseFaults(%q) error = %v, want it to contain %q", c.in, err, c.want)
		}
	}
}

func TestFaultsStringAndJSONRoundTrip(t *testing.T) {
	for _, in := range []string{
		"none",
		"latency=1ns",
		"latency=5ms..50ms,spike=0.01x2s,500=0.1,502=0.05,503=0.05,504=0.01,429burst=0.01x20@2s,reset=0.01,truncate=0.01,slowbody=4096,revoke=0.001",
		"latency=0s..1.000000001s,503=0.3333333333333333",
	} {
		f, err := ParseFaults(in)
		if err != nil {
			t.Fatalf("ParseFaults(%q): %v", in, err)
		}
		if s := f.String(); s != in {
			t.Errorf("String() = %q, want %q", s, in)
		}
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var back Faults
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if !reflect.DeepEqual(back, f) {
			t.Errorf("JSON round trip of %q via %s = %+v, want %+v", in, b, back, f)
		}
	}
}

func TestFaultsJSONStrict(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"reset":0.1,"bogus":1}`, `unknown field "bogus"`},
		{`{"errors":{"418":0.1}}`, `status 418`},
		{`{"latency":{"min":"fast"}}`, `latency.min`},
		{`{"reset":2}`, `reset rate 2`},
		{`{"burst429":{"rate":0.1,"length":0}}`, `429burst length 0`},
		{`[1]`, `cannot unmarshal array`},
	} {
		var f Faults
		err := json.Unmarshal([]byte(c.in), &f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Unmarshal(%s) error = %v, want it to contain %q", c.in, err, c.want)
		}
	}
	var f Faults
	if err := json.Unmarshal([]byte(`{"latency":{"min":"7ms"}}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.Latency.Min != 7*time.Millisecond || f.Latency.Max != 7*time.Millisecond {
		t.Errorf("min-only latency = %+v, want fixed 7ms", f.Latency)
	}
}

// faultOutcome is what a real client saw for one request.
type faultOutcome struct {
	status     int
	reset      bool // the request failed before any response
	truncated  bool // the body ended early
	retryAfter string
	errorCode  string
}

func faultDo(t *testing.T, client *http.Client, url string) faultOutcome {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		return faultOutcome{reset: true}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("reading body: %v, want io.ErrUnexpectedEOF", err)
		}
		return faultOutcome{status: resp.StatusCode, truncated: true}
	}
	o := faultOutcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			StatusCode int    `json:"statusCode"`
			ErrorCode  string `json:"errorCode"`
			Message    string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.StatusCode != resp.StatusCode || e.ErrorCode == "" || e.Message == "" {
			t.Fatalf("error body %q (%v): want 1NCE's statusCode/errorCode/message", body, err)
		}
		o.errorCode = e.ErrorCode
	} else if string(body) != faultOKBody {
		t.Fatalf("passed body = %q, want %q", body, faultOKBody)
	}
	return o
}

const faultOKBody = `{"ok":true,"padding":"0123456789abcdef"}`

func faultOKHandler(hits *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, faultOKBody)
	})
}

// faultNoKeepAlive is a client on fresh connections: Go's transport silently retries an
// idempotent request whose reused connection breaks, which would hide injected resets.
func faultNoKeepAlive() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// faultWithin fails unless got is within 4 standard deviations of a binomial(n, p) count.
func faultWithin(t *testing.T, name string, got, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	sigma := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(got)-mean) > 4*sigma {
		t.Errorf("%s: %d of %d, want %.1f ± %.1f (4σ)", name, got, n, mean, 4*sigma)
	} else {
		t.Logf("%s: %d of %d (expected %.1f ± %.1f)", name, got, n, mean, 4*sigma)
	}
}

func TestFaultRatesOver10000Requests(t *testing.T) {
	f, err := ParseFaults("500=0.1,502=0.05,503=0.05,504=0.02,reset=0.01,truncate=0.01,429burst=0.01x5@2s")
	if err != nil {
		t.Fatal(err)
	}
	fi := NewFaultInjector(f, 42)
	var hits atomic.Int64
	srv := httptest.NewServer(fi.Wrap(faultOKHandler(&hits)))
	defer srv.Close()
	client := faultNoKeepAlive()

	const n = 10_000
	counts := map[string]int{}
	run := 0 // length of the current run of consecutive 429s
	var runs []int
	for range n {
		o := faultDo(t, client, srv.URL+"/v1/sims")
		if o.status == http.StatusTooManyRequests {
			if o.retryAfter != "2" || o.errorCode != "TooManyRequests" {
				t.Fatalf("429 with Retry-After %q, errorCode %q; want 2 and TooManyRequests", o.retryAfter, o.errorCode)
			}
			run++
			continue
		}
		if run > 0 {
			runs = append(runs, run)
			run = 0
		}
		switch {
		case o.reset:
			counts["reset"]++
		case o.truncated:
			counts["truncate"]++
		case o.status == http.StatusOK:
			counts["pass"]++
		default:
			counts[http.StatusText(o.status)]++
		}
	}
	if run > 0 {
		runs = append(runs, run)
	}

	throttled := 0
	for _, r := range runs {
		// Bursts can follow each other back to back; every run is whole bursts.
		if r%5 != 0 {
			t.Errorf("a run of %d consecutive 429s, want a multiple of the burst length 5", r)
		}
		throttled += r
	}
	bursts := throttled / 5
	free := n - throttled // requests that drew an outcome
	faultWithin(t, "bursts", bursts, free+bursts, 0.01)
	faultWithin(t, "500", counts["Internal Server Error"], free, 0.1)
	faultWithin(t, "502", counts["Bad Gateway"], free, 0.05)
	faultWithin(t, "503", counts["Service Unavailable"], free, 0.05)
	faultWithin(t, "504", counts["Gateway Timeout"], free, 0.02)
	faultWithin(t, "reset", counts["reset"], free, 0.01)
	faultWithin(t, "truncate", counts["truncate"], free, 0.01)
	faultWithin(t, "pass", counts["pass"], free, 1-0.1-0.05-0.05-0.02-0.01-0.01)

	st := fi.Stats()
	want := FaultStats{
		Requests: n, Passed: int64(counts["pass"]), Throttled: int64(throttled), Bursts: int64(bursts),
		Resets: int64(counts["reset"]), Truncated: int64(counts["truncate"]),
		Errors: map[int]int64{
			500: int64(counts["Internal Server Error"]), 502: int64(counts["Bad Gateway"]),
			503: int64(counts["Service Unavailable"]), 504: int64(counts["Gateway Timeout"]),
		},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("Stats() = %+v, want what the client saw: %+v", st, want)
	}
	// Truncated responses ran the handler; resets and injected statuses did not.
	if got, wantHits := hits.Load(), int64(counts["pass"]+counts["truncate"]); got != wantHits {
		t.Errorf("handler ran %d times, want %d", got, wantHits)
	}
}

func TestFaultSameSeedSameDecisions(t *testing.T) {
	f, err := ParseFaults("latency=1ms..9ms,spike=0.1x1s,500=0.2,503=0.1,429burst=0.05x3@1s,reset=0.05,truncate=0.05,revoke=0.1")
	if err != nil {
		t.Fatal(err)
	}
	seq := func(seed int64) []faultDecision {
		fi := NewFaultInjector(f, seed)
		fi.SetRevoker(func() {})
		var out []faultDecision
		for i := range 2000 {
			if i == 1000 {
				// A run-time change hits both runs at the same request.
				g := f
				g.Errors = map[int]float64{502: 0.5}
				if err := fi.Set(g); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, fi.decide())
		}
		return out
	}
	a, b, c := seq(7), seq(7), seq(8)
	if !reflect.DeepEqual(a, b) {
		t.Error("two injectors with seed 7 decided differently")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 7 and 8 decided identically; the seed is not used")
	}
	for i, d := range a {
		if d.delay < time.Millisecond || (d.delay > 9*time.Millisecond && d.delay < time.Second) || d.delay > time.Second+9*time.Millisecond {
			t.Fatalf("decision %d: delay %s outside 1ms..9ms (+1s spike)", i, d.delay)
		}
	}
}

func TestFaultResetSeenByClient(t *testing.T) {
	var hits atomic.Int64
	fi := NewFaultInjector(Faults{ResetRate: 1}, 1)
	srv := httptest.NewServer(fi.Wrap(faultOKHandler(&hits)))
	defer srv.Close()
	resp, err := faultNoKeepAlive().Post(srv.URL+"/v1/sims", "application/json", strings.NewReader(`{}`))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a connection error", resp.StatusCode)
	}
	if hits.Load() != 0 {
		t.Error("the simulator ran a request whose connection was reset")
	}
	if st := fi.Stats(); st.Resets != 1 {
		t.Errorf("Stats().Resets = %d, want 1", st.Resets)
	}
}

func TestFaultTruncatedBody(t *testing.T) {
	fi := NewFaultInjector(Faults{TruncateRate: 1}, 1)
	srv := httptest.NewServer(fi.Wrap(faultOKHandler(nil)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/sims")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != int64(len(faultOKBody)) {
		t.Errorf("Content-Length = %d, want the full %d", resp.ContentLength, len(faultOKBody))
	}
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading body: %v, want io.ErrUnexpectedEOF", err)
	}
	if string(body) != faultOKBody[:len(faultOKBody)/2] {
		t.Errorf("got %q, want the first half of the body", body)
	}
}

func TestFaultSlowBodyArrivesWhole(t *testing.T) {
	fi := NewFaultInjector(Faults{SlowBodyBPS: 400}, 1)
	srv := httptest.NewServer(fi.Wrap(faultOKHandler(nil)))
	defer srv.Close()
	o := faultDo(t, http.DefaultClient, srv.URL+"/v1/sims")
	if o.status != http.StatusOK {
		t.Fatalf("status %d, want 200", o.status)
	}
	if st := fi.Stats(); st.Slowed != 1 || st.Passed != 1 {
		t.Errorf("Stats() = %+v, want one slowed pass", st)
	}
}

func TestFaultRevokeAndLatencyAndAdminPathsExempt(t *testing.T) {
	var revoked atomic.Int64
	fi := NewFaultInjector(Faults{RevokeRate: 1, Latency: LatencyFault{Min: time.Millisecond, Max: 2 * time.Millisecond}}, 1)
	fi.SetRevoker(func() { revoked.Add(1) })
	var hits atomic.Int64
	srv := httptest.NewServer(fi.Wrap(faultOKHandler(&hits)))
	defer srv.Close()
	for range 3 {
		if o := faultDo(t, http.DefaultClient, srv.URL+"/v1/sims"); o.status != http.StatusOK {
			t.Fatalf("status %d, want 200", o.status)
		}
	}
	if revoked.Load() != 3 {
		t.Errorf("revoker called %d times, want 3", revoked.Load())
	}
	if err := fi.Set(Faults{Errors: map[int]float64{500: 1}}); err != nil {
		t.Fatal(err)
	}
	if o := faultDo(t, http.DefaultClient, srv.URL+"/_sim/faults"); o.status != http.StatusOK {
		t.Errorf("admin path got %d, want it never faulted", o.status)
	}
	if o := faultDo(t, http.DefaultClient, srv.URL+"/v1/sims"); o.status != http.StatusInternalServerError || o.errorCode != "InternalServerError" {
		t.Errorf("got %+v, want an injected 500", o)
	}
	st := fi.Stats()
	if st.Requests != 4 || st.Delayed != 3 || st.Revocations != 3 || st.Errors[500] != 1 {
		t.Errorf("Stats() = %+v, want 4 requests (admin excluded), 3 delayed, 3 revocations, one 500", st)
	}
	if got := NewFaultInjector(Faults{ResetRate: 2}, 1).Current(); got.String() != "none" {
		t.Errorf("an injector made with invalid faults applies %s, want none", got)
	}
	if err := fi.Set(Faults{ResetRate: 2}); err == nil {
		t.Error("Set accepted a reset rate of 2")
	}
	if got := fi.Current(); got.Errors[500] != 1 {
		t.Errorf("a refused Set changed the faults to %+v", got)
	}
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{
		"", "none", "latency=5ms..50ms,500=0.1,502=0.05,503=0.05,429burst=0.01x20@2s,reset=0.01,truncate=0.01",
		"spike=0.5x1h", "slowbody=1", "revoke=1", "500=1e-3", "latency=1h..", "429burst=1x1@0s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFaults(s)
		if err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ParseFaults(%q) returned invalid faults: %v", s, err)
		}
		back, err := ParseFaults(got.String())
		if err != nil {
			t.Fatalf("ParseFaults(%q).String() = %q does not parse: %v", s, got.String(), err)
		}
		if !reflect.DeepEqual(back, got) {
			t.Fatalf("String round trip of %q: %+v != %+v", s, back, got)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var j Faults
		if err := json.Unmarshal(b, &j); err != nil || !reflect.DeepEqual(j, got) {
			t.Fatalf("JSON round trip of %q via %s: %+v (%v)", s, b, j, err)
		}
		// Any valid faults must be usable.
		NewFaultInjector(got, 1).decide()
	})
}

// BenchmarkFaultInjectorWrap measures what the injector adds per request in front of a trivial
// handler (no latency), against the bare handler as the same-run baseline.
func BenchmarkFaultInjectorWrap(b *testing.B) {
	f, err := ParseFaults("500=0.05,503=0.05,429burst=0.01x5@1s")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", faultOKHandler(nil)},
		{"wrapped", NewFaultInjector(f, 1).Wrap(faultOKHandler(nil))},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/v1/sims", nil)
			b.ReportAllocs()
			for range b.N {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// FuzzFaultsJSON feeds the admin endpoint's decoder: it must refuse or return valid faults that
// survive a round trip, never panic.
func FuzzFaultsJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"latency":{"min":"5ms","max":"50ms","spike_rate":0.01,"spike":"2s"},"errors":{"500":0.1,"502":0.05},"burst429":{"rate":0.01,"length":20,"retry_after":"2s"},"reset":0.01,"truncate":0.01,"slow_body_bps":4096,"revoke":0.001}`,
		`{"errors":{"abc":1}}`, `{"latency":{"min":"1h"}}`, `null`, `{"reset":1e308}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got Faults
		if err := json.Unmarshal([]byte(s), &got); err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("Unmarshal(%q) returned invalid faults: %v", s, err)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back Faults
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("round trip of %q via %s: %+v (%v)", s, b, back, err)
		}
		if _, err := ParseFaults(got.String()); err != nil {
			t.Fatalf("String() of decoded faults %q does not parse: %v", got.String(), err)
		}
	})
}

func ExampleParseFaults() {
	f, err := ParseFaults("503=0.05,latency=5ms..50ms,429burst=0.01x20@2s")
	if err != nil {
		panic(err)
	}
	fmt.Println(f)
	_, err = ParseFaults("503=5%")
	fmt.Println(err)
	// Output:
	// latency=5ms..50ms,503=0.05,429burst=0.01x20@2s
	// oncesim: faults part 1 "503=5%": rate "5%" must be a number in [0,1]
}
