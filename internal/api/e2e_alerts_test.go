package api_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/alerts"
	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/oncesim"
)

// hookReceiver is a webhook endpoint that verifies every delivery's signature.
type hookReceiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server
	fail   atomic.Bool
	mu     sync.Mutex
	got    []alerts.Payload
	bad    int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t, secret: "receiver-secret-0123456789"}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if h.fail.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if err := alerts.VerifySignature([]byte(h.secret), r.Header.Get(alerts.SignatureHeader), body, time.Now(), alerts.DefaultReplayWindow); err != nil {
			h.mu.Lock()
			h.bad++
			h.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p alerts.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got = append(h.got, p)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// count returns how many verified deliveries of event arrived, and the last.
func (h *hookReceiver) count(event string) (int, alerts.Payload) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, last := 0, alerts.Payload{}
	for _, p := range h.got {
		if p.Event == event {
			n++
			last = p
		}
	}
	if h.bad > 0 {
		h.t.Errorf("%d deliveries with a bad signature", h.bad)
	}
	return n, last
}

// waitFor polls cond until it holds (no timing assertion: only a generous bound).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type ruleOut struct {
	ID string `json:"id"`
}

func createWebhook(t *testing.T, e *apptest.Env, h *hookReceiver) string {
	t.Helper()
	var ch struct {
		ID     string         `json:"id"`
		Config map[string]any `json:"config"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels", fleet.RoleAdmin, map[string]any{"name": "ops hook", "type": "webhook",
		"config": map[string]any{"url": h.srv.URL, "secret": h.secret}})), 201), &ch)
	if _, leaked := ch.Config["secret"]; leaked || ch.Config["secret_set"] != true {
		t.Fatalf("channel config shown as %v", ch.Config)
	}
	return ch.ID
}

func createRule(t *testing.T, e *apptest.Env, body map[string]any) string {
	t.Helper()
	var r ruleOut
	dataOf(t, want(t, e.Do(post("/alert-rules", fleet.RoleAdmin, body)), 201), &r)
	return r.ID
}

func TestAlertQuotaWebhookOnceUntilCooldownThenResolved(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		h := newHookReceiver(t)
		iccid := simICCID(5)
		ch := createWebhook(t, e, h)
		rule := createRule(t, e, map[string]any{"name": "quota low", "kind": "quota_below", "params": map[string]any{"threshold_pct": 35},
			"scope": map[string]any{"iccids": []string{iccid}}, "channel_ids": []string{ch}, "cooldown_seconds": 3600})
		readQuota := func() { want(t, e.Do(get("/sims/"+iccid+"/quota/data?fresh=true", fleet.RoleViewer)), 200) }

		readQuota() // well above the threshold: nothing
		if _, err := e.Sim.AddUsage(iccid, oncesim.Usage{AllData: true}); err != nil {
			t.Fatal(err)
		}
		readQuota()
		waitFor(t, "the fired webhook", func() bool { n, _ := h.count("fired"); return n == 1 })
		readQuota() // still below, within the cool-down: deduplicated
		readQuota()

		// The cool-down ends (shortened to one second and waited out): one more.
		r := map[string]any{"name": "quota low", "kind": "quota_below", "params": map[string]any{"threshold_pct": 35},
			"scope": map[string]any{"iccids": []string{iccid}}, "channel_ids": []string{ch}, "cooldown_seconds": 1}
		want(t, e.Do(put("/alert-rules/"+rule, fleet.RoleAdmin, r)), 200)
		time.Sleep(1100 * time.Millisecond)
		readQuota()
		waitFor(t, "the second fired webhook", func() bool { n, _ := h.count("fired"); return n == 2 })

		// A top-up clears it: one resolved notice.
		want(t, e.Do(post("/sims/"+iccid+"/topup", fleet.RoleOperator, map[string]any{})), 201)
		readQuota()
		waitFor(t, "the resolved webhook", func() bool { n, _ := h.count("resolved"); return n == 1 })
		if n, _ := h.count("fired"); n != 2 {
			t.Fatalf("%d fired webhooks, want 2", n)
		}
		_, last := h.count("resolved")
		if last.Rule == nil || last.Rule.ID != rule || last.Alerts[0].ICCID != iccid {
			t.Fatalf("resolved payload %+v", last)
		}

		var list []struct {
			ID         int64  `json:"id"`
			State      string `json:"state"`
			ICCID      string `json:"iccid"`
			ResolvedBy string `json:"resolved_by"`
		}
		dataOf(t, want(t, e.Do(get("/alerts?rule_id="+rule+"&state=resolved", fleet.RoleViewer)), 200), &list)
		if len(list) != 2 || list[0].ICCID != iccid || list[0].ResolvedBy != "" {
			t.Fatalf("resolved alerts %+v", list)
		}
		dataOf(t, want(t, e.Do(get("/alerts?rule_id="+rule+"&state=open", fleet.RoleViewer)), 200), &list)
		if len(list) != 0 {
			t.Fatalf("open alerts %+v", list)
		}
	})
}

// smtpSink is a minimal SMTP server on loopback that keeps the messages it is given; with a
// TLS configuration it offers STARTTLS.
type smtpSink struct {
	ln      net.Listener
	tls     *tls.Config
	mu      sync.Mutex
	msgs    []string
	overTLS []bool
}

func newSMTPSink(t *testing.T) *smtpSink { return newSMTPSinkTLS(t, nil) }

func newSMTPSinkTLS(t *testing.T, conf *tls.Config) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, tls: conf}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer func() { c.Close() }()
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	secure := false
	say("220 sink.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-sink.test")
			if s.tls != nil && !secure {
				say("250-STARTTLS")
			}
			say("250 8BITMIME")
		case cmd == "STARTTLS" && s.tls != nil && !secure:
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.overTLS = append(s.overTLS, secure)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (s *smtpSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func TestAlertEmailReachesSMTPServer(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	sink := newSMTPSink(t)
	host, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	var ch struct {
		ID     string         `json:"id"`
		Config map[string]any `json:"config"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels", fleet.RoleAdmin, map[string]any{"name": "ops mail", "type": "email",
		"config": map[string]any{"host": host, "port": atoi(t, port), "from": "oncefleet@test.example", "to": []string{"ops@test.example"},
			"tls": "none", "username": "", "password": ""}})), 201), &ch)

	// The channel's test message arrives.
	var d struct {
		State     string `json:"state"`
		LastError string `json:"last_error"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels/"+ch.ID+"/test", fleet.RoleAdmin, nil)), 200), &d)
	if d.State != "sent" || len(sink.messages()) != 1 {
		t.Fatalf("test delivery %+v, %d messages", d, len(sink.messages()))
	}

	// So does an alert.
	iccid := simICCID(2)
	createRule(t, e, map[string]any{"name": "sms low", "kind": "quota_below", "params": map[string]any{"threshold_pct": 50, "quota": "sms"},
		"channel_ids": []string{ch.ID}})
	if _, err := e.Sim.AddUsage(iccid, oncesim.Usage{SMS: 1000}); err != nil {
		t.Fatal(err)
	}
	want(t, e.Do(get("/sims/"+iccid+"/quota/sms?fresh=true", fleet.RoleViewer)), 200)
	waitFor(t, "the alert e-mail", func() bool { return len(sink.messages()) == 2 })
	msg := sink.messages()[1]
	if !strings.Contains(msg, "Subject: [oncefleet] FIRING: sms low") || !strings.Contains(msg, iccid) {
		t.Fatalf("mail:\n%s", msg)
	}
}

func atoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// streamEvents posts Data Streamer event records (one event of type typ per ICCID), now.
func streamEvents(t *testing.T, e *apptest.Env, typ string, iccids ...string) {
	t.Helper()
	streamEventsAt(t, e, typ, time.Now(), iccids...)
}

var streamSeq atomic.Int64

// streamEventsAt posts event records stamped at.
func streamEventsAt(t *testing.T, e *apptest.Env, typ string, at time.Time, iccids ...string) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("[")
	base := time.Now().UnixNano()%1_000_000_000 + streamSeq.Add(1)*100_000
	for i, iccid := range iccids {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id": %d, "timestamp": %q, "event_type": {"id": 4, "description": %q},
			"event_source": {"id": 0, "description": "Network"}, "event_severity": {"id": 0, "description": "INFO"}, "alert": false,
			"description": "test", "sim": {"id": 1, "iccid": %q}}`, base*1000+int64(i), at.UTC().Format(time.RFC3339), typ, iccid)
	}
	b.WriteString("]")
	res := e.Do(apptest.Request{Method: http.MethodPost, Path: "/api/v1/streamer/events", Body: b.Bytes(),
		Header: map[string]string{"Authorization": "Basic " + basic("1nce", "streamer-password-123")}})
	if res.Status != 200 {
		t.Fatalf("streamer post: %d %s", res.Status, res.Body)
	}
}

func basic(u, p string) string {
	return base64.StdEncoding.EncodeToString([]byte(u + ":" + p))
}

func withStreamer(c *config.Config) {
	c.StreamerUsername, c.StreamerPassword = "1nce", "streamer-password-123"
}

type alertRow struct {
	ID             int64  `json:"id"`
	State          string `json:"state"`
	ICCID          string `json:"iccid"`
	AcknowledgedBy string `json:"acknowledged_by"`
	ResolvedBy     string `json:"resolved_by"`
}

func alertsOf(t *testing.T, e *apptest.Env, query string) []alertRow {
	t.Helper()
	var list []alertRow
	dataOf(t, want(t, e.Do(get("/alerts?"+query, fleet.RoleViewer)), 200), &list)
	return list
}

func TestAlertConnectivityLossFromStreamerRaisesAndResolves(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, Configure: withStreamer})
		h := newHookReceiver(t)
		ch := createWebhook(t, e, h)
		iccid := simICCID(7)
		rule := createRule(t, e, map[string]any{"name": "offline", "kind": "connectivity_lost", "channel_ids": []string{ch}})

		streamEvents(t, e, "Delete PDP Context", iccid)
		waitFor(t, "the open alert", func() bool { return len(alertsOf(t, e, "state=open&rule_id="+rule)) == 1 })
		waitFor(t, "the fired webhook", func() bool { n, _ := h.count("fired"); return n == 1 })
		a := alertsOf(t, e, "state=open&rule_id="+rule)[0]
		if a.ICCID != iccid {
			t.Fatalf("alert %+v", a)
		}
		// An operator acknowledges it; the SIM's next session resolves it.
		var acked alertRow
		dataOf(t, want(t, e.Do(post(fmt.Sprintf("/alerts/%d/acknowledge", a.ID), fleet.RoleOperator, nil)), 200), &acked)
		if acked.State != "acknowledged" || acked.AcknowledgedBy == "" {
			t.Fatalf("acknowledged %+v", acked)
		}
		if n := len(alertsOf(t, e, "state=acknowledged")); n != 1 {
			t.Fatalf("%d acknowledged", n)
		}
		streamEvents(t, e, "Create PDP Context", iccid)
		waitFor(t, "the resolved webhook", func() bool { n, _ := h.count("resolved"); return n == 1 })
		var got alertRow
		dataOf(t, want(t, e.Do(get(fmt.Sprintf("/alerts/%d", a.ID), fleet.RoleViewer)), 200), &got)
		if got.State != "resolved" {
			t.Fatalf("after the session: %+v", got)
		}
	})
}

func TestAlertGroupsManySIMsIntoOneMessage(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, Configure: func(c *config.Config) {
			withStreamer(c)
			// The batch's 500 alerts are stored one by one; the group waits for them all.
			c.Alerts.GroupWindow = "3s"
		}})
		h := newHookReceiver(t)
		ch := createWebhook(t, e, h)
		createRule(t, e, map[string]any{"name": "offline", "kind": "connectivity_lost", "channel_ids": []string{ch}})
		iccids := make([]string, 500)
		for i := range iccids {
			iccids[i] = fmt.Sprintf("%019d", int64(8988280666000100000)+int64(i))
		}
		streamEvents(t, e, "Delete PDP Context", iccids...)
		waitFor(t, "the grouped webhook", func() bool { n, _ := h.count("fired"); return n >= 1 })
		waitFor(t, "all 500 alerts stored", func() bool {
			var env struct {
				Total int `json:"total"`
			}
			want(t, e.Do(get("/alerts?state=open&page_size=1", fleet.RoleViewer)), 200).JSON(t, &env)
			return env.Total == 500
		})
		n, p := h.count("fired")
		if n != 1 || p.Count != 500 || len(p.Alerts) != 500 {
			t.Fatalf("%d fired messages, the last with %d alerts", n, p.Count)
		}
		// An operator resolves one by hand: who and when are kept.
		var res struct {
			State      string     `json:"state"`
			ResolvedBy string     `json:"resolved_by"`
			ResolvedAt *time.Time `json:"resolved_at"`
		}
		dataOf(t, want(t, e.Do(post(fmt.Sprintf("/alerts/%d/resolve", p.Alerts[0].ID), fleet.RoleOperator, nil)), 200), &res)
		if res.State != "resolved" || res.ResolvedBy == "" || res.ResolvedAt == nil {
			t.Fatalf("resolved by hand: %+v", res)
		}
		if n := len(alertsOf(t, e, "state=resolved")); n != 1 {
			t.Fatalf("%d resolved", n)
		}
	})
}

func TestAlertAutomaticDisableIsAuditedAsTheRule(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, Configure: withStreamer})
		iccid := simICCID(9)
		rule := createRule(t, e, map[string]any{"name": "lost: disable", "kind": "connectivity_lost",
			"scope": map[string]any{"iccids": []string{iccid}}, "actions": []map[string]any{{"type": "disable"}}})
		streamEvents(t, e, "Delete PDP Context", iccid, simICCID(10)) // the second is out of scope
		var audit []struct {
			Actor, Action, Target, Result string
		}
		waitFor(t, "the audited disable", func() bool {
			dataOf(t, want(t, e.Do(get("/audit?action=sim.update", fleet.RoleAdmin)), 200), &audit)
			return len(audit) > 0
		})
		if len(audit) != 1 || audit[0].Actor != "rule:"+rule || audit[0].Target != iccid || audit[0].Result != "ok" {
			t.Fatalf("audit %+v", audit)
		}
		if st, _ := e.Sim.SIM(iccid); st.Status != "Disabled" {
			t.Fatalf("SIM at 1NCE is %s", st.Status)
		}
		if st, _ := e.Sim.SIM(simICCID(10)); st.Status == "Disabled" {
			t.Fatal("a SIM out of scope was disabled")
		}
	})
}

func TestAlertFailingWebhookDeadLetteredAndResent(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, Configure: func(c *config.Config) {
			withStreamer(c)
			c.Alerts.Attempts = 3
		}})
		h := newHookReceiver(t)
		h.fail.Store(true)
		ch := createWebhook(t, e, h)
		createRule(t, e, map[string]any{"name": "offline", "kind": "connectivity_lost", "channel_ids": []string{ch}})
		streamEvents(t, e, "Delete PDP Context", simICCID(3))
		type delivery struct {
			ID        int64  `json:"id"`
			State     string `json:"state"`
			Attempts  int    `json:"attempts"`
			LastError string `json:"last_error"`
			Event     string `json:"event"`
		}
		var dead []delivery
		waitFor(t, "the dead letter", func() bool {
			dataOf(t, want(t, e.Do(get("/alert-deliveries?state=dead", fleet.RoleAdmin)), 200), &dead)
			return len(dead) == 1
		})
		if dead[0].Attempts != 3 || !strings.Contains(dead[0].LastError, "503") || dead[0].Event != "fired" {
			t.Fatalf("dead letter %+v", dead[0])
		}
		if n, _ := h.count("fired"); n != 0 {
			t.Fatal("a failing receiver accepted")
		}
		h.fail.Store(false)
		var d delivery
		dataOf(t, want(t, e.Do(post(fmt.Sprintf("/alert-deliveries/%d/resend", dead[0].ID), fleet.RoleAdmin, nil)), 200), &d)
		if d.State != "sent" {
			t.Fatalf("re-sent %+v", d)
		}
		if n, _ := h.count("fired"); n != 1 {
			t.Fatalf("%d fired webhooks after the re-send", n)
		}
		dataOf(t, want(t, e.Do(get("/alert-deliveries?state=dead", fleet.RoleAdmin)), 200), &dead)
		if len(dead) != 0 {
			t.Fatalf("dead letters after the re-send: %+v", dead)
		}
		wantProblem(t, e.Do(post("/alert-deliveries/999999/resend", fleet.RoleAdmin, nil)), 404, "not_found")
	})
}

func TestAlertRulesAndChannelsAPI(t *testing.T) {
	e := apptest.Start(t, apptest.Options{NoUpstream: true})
	h := newHookReceiver(t)
	ch := createWebhook(t, e, h)

	// Channels: listed and read without secrets, replaced keeping the secret, tested, deleted.
	var chans []struct {
		ID     string         `json:"id"`
		Config map[string]any `json:"config"`
	}
	dataOf(t, want(t, e.Do(get("/alert-channels", fleet.RoleViewer)), 200), &chans)
	if len(chans) != 1 || chans[0].Config["secret_set"] != true || strings.Contains(fmt.Sprint(chans[0].Config), h.secret) {
		t.Fatalf("channels %+v", chans)
	}
	want(t, e.Do(put("/alert-channels/"+ch, fleet.RoleAdmin, map[string]any{"name": "renamed", "type": "webhook",
		"config": map[string]any{"url": h.srv.URL}})), 200)
	var d struct {
		State string `json:"state"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels/"+ch+"/test", fleet.RoleAdmin, nil)), 200), &d)
	if n, _ := h.count("test"); d.State != "sent" || n != 1 {
		t.Fatalf("test delivery %+v, %d received (the secret must survive the replace)", d, n)
	}
	var slackText atomic.Value
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Text string `json:"text"`
		}
		_ = json.NewDecoder(r.Body).Decode(&m)
		slackText.Store(m.Text)
	}))
	defer slack.Close()
	var sl struct {
		ID     string         `json:"id"`
		Config map[string]any `json:"config"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels", fleet.RoleAdmin, map[string]any{"name": "slack", "type": "slack",
		"config": map[string]any{"url": slack.URL + "/services/T000/B000/secretpart"}})), 201), &sl)
	if strings.Contains(fmt.Sprint(sl.Config), "secretpart") {
		t.Fatalf("slack URL shown: %v", sl.Config)
	}
	dataOf(t, want(t, e.Do(get("/alert-channels/"+sl.ID, fleet.RoleViewer)), 200), &sl)
	dataOf(t, want(t, e.Do(post("/alert-channels/"+sl.ID+"/test", fleet.RoleAdmin, nil)), 200), &d)
	if txt, _ := slackText.Load().(string); d.State != "sent" || !strings.Contains(txt, "test message") {
		t.Fatalf("slack test: %+v, text %q", d, txt)
	}
	want(t, e.Do(del("/alert-channels/"+sl.ID, fleet.RoleAdmin)), 204)
	wantProblem(t, e.Do(get("/alert-channels/"+sl.ID, fleet.RoleViewer)), 404, "not_found")

	// Bad channels and rules are 400 problems with a stable code, never 500.
	for _, body := range []map[string]any{
		{"name": "x", "type": "webhook", "config": map[string]any{"url": "ftp://x", "secret": "0123456789abcdef"}},
		{"name": "x", "type": "webhook", "config": map[string]any{"url": "http://x", "secret": "short"}},
		{"name": "x", "type": "email", "config": map[string]any{"host": "smtp.test", "from": "not an address", "to": []string{"a@b.c"}}},
		{"name": "x", "type": "email", "config": map[string]any{"host": "smtp.test", "from": "a@b.c", "to": []string{"a@b.c"}, "tls": "maybe"}},
		{"name": "x", "type": "slack", "config": map[string]any{"url": "http://x", "extra": 1}},
	} {
		wantProblem(t, e.Do(post("/alert-channels", fleet.RoleAdmin, body)), 422, "invalid")
	}
	for _, body := range []map[string]any{
		{"name": "x", "kind": "quota_below"},
		{"name": "x", "kind": "quota_below", "params": map[string]any{"threshold_pct": 101}},
		{"name": "x", "kind": "quota_below", "params": map[string]any{"threshold_pct": 10, "hours": 3}},
		{"name": "x", "kind": "no_session", "params": map[string]any{"hours": -1}},
		{"name": "x", "kind": "field_changed", "params": map[string]any{"field": "colour"}},
		{"name": "x", "kind": "sync_failing", "actions": []map[string]any{{"type": "disable"}}},
		{"name": "x", "kind": "connectivity_lost", "actions": []map[string]any{{"type": "explode"}}},
		{"name": "x", "kind": "connectivity_lost", "scope": map[string]any{"label": "[unclosed"}},
		{"name": "x", "kind": "connectivity_lost", "channel_ids": []string{"no-such-channel"}},
	} {
		wantProblem(t, e.Do(post("/alert-rules", fleet.RoleAdmin, body)), 422, "invalid")
	}
	wantProblem(t, e.Do(post("/alert-rules", fleet.RoleAdmin, map[string]any{"name": "x", "kind": "nonsense"})), 422, "invalid")
	wantProblem(t, e.Do(post("/alert-rules", fleet.RoleOperator, map[string]any{"name": "x", "kind": "stream_silent"})), 403, "forbidden")

	// Rules: created, listed, read, replaced, deleted; every write audited.
	rule := createRule(t, e, map[string]any{"name": "forecast", "kind": "quota_forecast", "params": map[string]any{"within_days": 5},
		"scope": map[string]any{"label": "meter-*"}, "channel_ids": []string{ch}})
	var rules []struct {
		ID         string         `json:"id"`
		Params     map[string]any `json:"params"`
		Scope      map[string]any `json:"scope"`
		ChannelIDs []string       `json:"channel_ids"`
		Enabled    bool           `json:"enabled"`
		Cooldown   int64          `json:"cooldown_seconds"`
	}
	dataOf(t, want(t, e.Do(get("/alert-rules", fleet.RoleViewer)), 200), &rules)
	if len(rules) != 1 || rules[0].Params["within_days"] != 5.0 || rules[0].Scope["label"] != "meter-*" || !rules[0].Enabled || rules[0].Cooldown != 3600 || rules[0].ChannelIDs[0] != ch {
		t.Fatalf("rules %+v", rules)
	}
	var one struct {
		Enabled bool `json:"enabled"`
	}
	dataOf(t, want(t, e.Do(put("/alert-rules/"+rule, fleet.RoleAdmin, map[string]any{"name": "forecast", "kind": "quota_forecast",
		"params": map[string]any{"within_days": 3, "days": 14}, "enabled": false})), 200), &one)
	if one.Enabled {
		t.Fatal("rule still enabled")
	}
	dataOf(t, want(t, e.Do(get("/alert-rules/"+rule, fleet.RoleViewer)), 200), &one)
	want(t, e.Do(del("/alert-rules/"+rule, fleet.RoleAdmin)), 204)
	wantProblem(t, e.Do(get("/alert-rules/"+rule, fleet.RoleViewer)), 404, "not_found")
	wantProblem(t, e.Do(put("/alert-rules/"+rule, fleet.RoleAdmin, map[string]any{"name": "x", "kind": "stream_silent"})), 404, "not_found")
	var audit []struct{ Actor, Action, Result string }
	dataOf(t, want(t, e.Do(get("/audit?action=alert_rule.update", fleet.RoleAdmin)), 200), &audit)
	if len(audit) != 2 || audit[0].Result == "" {
		t.Fatalf("audit %+v", audit)
	}

	// Alerts: none yet; filters are validated; missing alerts are 404.
	if n := len(alertsOf(t, e, "state=unacknowledged&kind=quota_below&since=2026-01-01T00:00:00Z")); n != 0 {
		t.Fatalf("%d alerts", n)
	}
	wantProblem(t, e.Do(get("/alerts?state=bogus", fleet.RoleViewer)), 422, "invalid")
	wantProblem(t, e.Do(post("/alerts/12345/resolve", fleet.RoleOperator, nil)), 404, "not_found")
	wantProblem(t, e.Do(post("/alerts/12345/acknowledge", fleet.RoleOperator, nil)), 404, "not_found")
	wantProblem(t, e.Do(get("/alerts/12345", fleet.RoleViewer)), 404, "not_found")
	for _, bad := range []string{"/alerts/abc", "/alerts?since=yesterday", "/alerts?page_size=5000", "/alert-deliveries?state=lost"} {
		res := e.Do(get(bad, fleet.RoleAdmin))
		if res.Status < 400 || res.Status >= 500 {
			t.Fatalf("%s: %d %s", bad, res.Status, res.Body)
		}
		res.Problem(t)
	}
	want(t, e.Do(del("/alert-channels/"+ch, fleet.RoleAdmin)), 204)
}

func TestAlertNoSessionRuleRunsAsJob(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Configure: withStreamer})
	h := newHookReceiver(t)
	ch := createWebhook(t, e, h)
	quiet, busy := simICCID(11), simICCID(12)
	rule := createRule(t, e, map[string]any{"name": "silent meters", "kind": "no_session", "params": map[string]any{"hours": 2},
		"scope": map[string]any{"iccids": []string{quiet, busy}}, "channel_ids": []string{ch}})
	// Both SIMs were last seen three hours ago; one of them attaches again now.
	streamEventsAt(t, e, "Create PDP Context", time.Now().Add(-3*time.Hour), quiet, busy)
	streamEventsAt(t, e, "Update location", time.Now(), busy)
	if r := runJob(t, e, "evaluate_alerts"); r.Result != "ok" || r.Items != 1 {
		t.Fatalf("run %+v", r)
	}
	open := alertsOf(t, e, "state=open&rule_id="+rule)
	if len(open) != 1 || open[0].ICCID != quiet {
		t.Fatalf("open %+v", open)
	}
	waitFor(t, "the fired webhook", func() bool { n, _ := h.count("fired"); return n == 1 })
	// Its next session resolves it at once.
	streamEventsAt(t, e, "Create PDP Context", time.Now(), quiet)
	waitFor(t, "the resolved webhook", func() bool { n, _ := h.count("resolved"); return n == 1 })
	if r := runJob(t, e, "evaluate_alerts"); r.Items != 0 {
		t.Fatalf("second run %+v", r)
	}
}

func TestAlertAutomaticTopUpOncePerAlert(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	iccid := simICCID(13)
	rule := createRule(t, e, map[string]any{"name": "empty: top up", "kind": "quota_below", "params": map[string]any{"threshold_pct": 1},
		"scope": map[string]any{"iccids": []string{iccid}}, "actions": []map[string]any{{"type": "topup"}}})
	if _, err := e.Sim.AddUsage(iccid, oncesim.Usage{AllData: true}); err != nil {
		t.Fatal(err)
	}
	want(t, e.Do(get("/sims/"+iccid+"/quota/data?fresh=true", fleet.RoleViewer)), 200)
	want(t, e.Do(get("/sims/"+iccid+"/quota/data?fresh=true", fleet.RoleViewer)), 200) // seen again: same alert, no second top-up
	var audit []struct{ Actor, Action, Target, Result string }
	waitFor(t, "the audited top-up", func() bool {
		dataOf(t, want(t, e.Do(get("/audit?action=sim.topup", fleet.RoleAdmin)), 200), &audit)
		return len(audit) > 0
	})
	if len(audit) != 1 || audit[0].Actor != "rule:"+rule || audit[0].Target != iccid || audit[0].Result != "ok" {
		t.Fatalf("audit %+v", audit)
	}
	// The next reading finds the quota refilled and resolves the alert.
	waitFor(t, "the alert resolved", func() bool {
		want(t, e.Do(get("/sims/"+iccid+"/quota/data?fresh=true", fleet.RoleViewer)), 200)
		return len(alertsOf(t, e, "state=resolved&rule_id="+rule)) == 1
	})
	if n := e.Counter.Count(http.MethodPost, "/"+iccid+"/topup"); n != 1 {
		t.Fatalf("1NCE saw %d top-ups", n)
	}
}

func TestAlertStatusAndIMEIChangesFromTheFleetSync(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		h := newHookReceiver(t)
		ch := createWebhook(t, e, h)
		status := createRule(t, e, map[string]any{"name": "disabled", "kind": "status_changed", "params": map[string]any{"to": "Disabled"},
			"channel_ids": []string{ch}})
		imei := createRule(t, e, map[string]any{"name": "moved device", "kind": "field_changed", "params": map[string]any{"field": "imei"},
			"channel_ids": []string{ch}})
		if r := runJob(t, e, "sync_sims"); r.Result != "ok" { // the first sync fills the mirror: no changes reported
			t.Fatalf("first sync %+v", r)
		}
		enabled := ""
		for i := 14; i < 20 && enabled == ""; i++ {
			if st, _ := e.Sim.SIM(simICCID(i)); st.Status == "Enabled" && i != 15 {
				enabled = simICCID(i)
			}
		}
		if _, err := e.Sim.ChangeSIM(enabled, oncesim.SIMChange{Status: "Disabled"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Sim.ChangeSIM(simICCID(15), oncesim.SIMChange{IMEI: "356938035643999"}); err != nil {
			t.Fatal(err)
		}
		runJob(t, e, "sync_sims")
		waitFor(t, "both alerts", func() bool {
			return len(alertsOf(t, e, "rule_id="+status)) == 1 && len(alertsOf(t, e, "rule_id="+imei)) == 1
		})
		if a := alertsOf(t, e, "rule_id="+status)[0]; a.ICCID != enabled {
			t.Fatalf("status alert %+v", a)
		}
		if a := alertsOf(t, e, "rule_id="+imei)[0]; a.ICCID != simICCID(15) {
			t.Fatalf("IMEI alert %+v", a)
		}
		waitFor(t, "two webhooks", func() bool { n, _ := h.count("fired"); return n == 2 })
	})
}

// A change made through oncefleet never reaches the sync as a change (the mirror already holds
// it), so the control plane reports it itself: a status rule fires on a user's disable too.
func TestAlertStatusChangedByAUser(t *testing.T) {
	e := apptest.Start(t, apptest.Options{MirrorSIMs: 20})
	h := newHookReceiver(t)
	ch := createWebhook(t, e, h)
	status := createRule(t, e, map[string]any{"name": "disabled", "kind": "status_changed", "params": map[string]any{"to": "Disabled"},
		"channel_ids": []string{ch}})
	enabled := ""
	for i := 1; i < 20 && enabled == ""; i++ {
		if st, _ := e.Sim.SIM(simICCID(i)); st.Status == "Enabled" {
			enabled = simICCID(i)
		}
	}
	want(t, e.Do(get("/sims/"+enabled+"?fresh=true", fleet.RoleViewer)), 200) // the mirror holds it Enabled
	want(t, e.Do(put("/sims/"+enabled, fleet.RoleOperator, map[string]any{"status": "Disabled"})), 200)
	waitFor(t, "the status alert", func() bool { return len(alertsOf(t, e, "rule_id="+status)) == 1 })
	if a := alertsOf(t, e, "rule_id="+status)[0]; a.ICCID != enabled {
		t.Fatalf("status alert %+v", a)
	}
	waitFor(t, "one webhook", func() bool { n, _ := h.count("fired"); return n == 1 })
}

// selfSigned returns a TLS configuration for 127.0.0.1 and its certificate in PEM.
func selfSigned(t *testing.T) (*tls.Config, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestAlertEmailOverSTARTTLS(t *testing.T) {
	e := apptest.Start(t, apptest.Options{NoUpstream: true})
	conf, caPEM := selfSigned(t)
	sink := newSMTPSinkTLS(t, conf)
	host, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	var ch struct {
		ID     string         `json:"id"`
		Config map[string]any `json:"config"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels", fleet.RoleAdmin, map[string]any{"name": "relay", "type": "email",
		"config": map[string]any{"host": host, "port": atoi(t, port), "from": "oncefleet@test.example", "to": []string{"ops@test.example"},
			"tls": "starttls", "ca_cert": caPEM}})), 201), &ch)
	if ch.Config["ca_cert_set"] != true {
		t.Fatalf("config %v", ch.Config)
	}
	var d struct {
		State     string `json:"state"`
		LastError string `json:"last_error"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels/"+ch.ID+"/test", fleet.RoleAdmin, nil)), 200), &d)
	sink.mu.Lock()
	n, secure := len(sink.msgs), slices.Clone(sink.overTLS)
	sink.mu.Unlock()
	if d.State != "sent" || n != 1 || !secure[0] {
		t.Fatalf("delivery %+v, %d messages, over TLS %v", d, n, secure)
	}
	// Without the CA the certificate is refused: the message is not sent in the clear instead.
	var plain struct {
		ID string `json:"id"`
	}
	dataOf(t, want(t, e.Do(post("/alert-channels", fleet.RoleAdmin, map[string]any{"name": "relay without CA", "type": "email",
		"config": map[string]any{"host": host, "port": atoi(t, port), "from": "oncefleet@test.example", "to": []string{"ops@test.example"}}})), 201), &plain)
	dataOf(t, want(t, e.Do(post("/alert-channels/"+plain.ID+"/test", fleet.RoleAdmin, nil)), 200), &d)
	if d.State != "dead" || !strings.Contains(d.LastError, "certificate") || len(sink.messages()) != 1 {
		t.Fatalf("untrusted relay: %+v, %d messages", d, len(sink.messages()))
	}
	wantProblem(t, e.Do(post("/alert-channels", fleet.RoleAdmin, map[string]any{"name": "bad", "type": "email",
		"config": map[string]any{"host": host, "from": "a@b.c", "to": []string{"a@b.c"}, "ca_cert": "not pem"}})), 422, "invalid")
}
