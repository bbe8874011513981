package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/oncesim"
)

// chromiumPath is the browser the tests drive: $ONCEFLEET_CHROMIUM, else Debian's Chromium
// (.ci/run installs it when missing).
func chromiumPath() string {
	if p := os.Getenv("ONCEFLEET_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browser is one headless Chromium shared by the steps of a test, failing the test on any
// console error, uncaught exception, failed request or error response it was not told to
// expect.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
	mu        sync.Mutex
	expected  map[string]int // URL path → status allowed once
	problems  []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath()); err != nil {
		t.Fatalf("chromium is required for the dashboard tests (apt-get install chromium): %v", err)
	}
	dir := os.Getenv("ONCEFLEET_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "oncefleet-artifacts")
	}
	dir = filepath.Join(dir, "web", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()),
		chromedp.NoSandbox, // the CI machines run as root
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, artifacts: dir, expected: map[string]int{}}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	requests := map[network.RequestID]string{}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.problems = append(b.problems, "console error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.problems = append(b.problems, fmt.Sprintf("uncaught exception: %s at %s:%d", msg, d.URL, d.LineNumber))
		case *cdplog.EventEntryAdded:
			// The browser's own log: CSP violations, blocked scripts, deprecations that fail.
			// Failed requests are judged by the network events (some are expected).
			if e := ev.Entry; e.Level == cdplog.EntryLevelError && e.Source != cdplog.EntrySourceNetwork {
				b.problems = append(b.problems, fmt.Sprintf("browser log error (%s): %s %s", e.Source, e.Text, e.URL))
			}
		case *network.EventRequestWillBeSent:
			requests[ev.RequestID] = ev.Request.URL
		case *network.EventLoadingFailed:
			// Navigation cancels the open event stream and pending loads: not a failure.
			if !ev.Canceled && ev.BlockedReason == "" {
				b.problems = append(b.problems, fmt.Sprintf("request failed: %s: %s", requests[ev.RequestID], ev.ErrorText))
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				path := ev.Response.URL
				if u, err := url.Parse(path); err == nil {
					path = u.Path
				}
				if st, ok := b.expected[path]; ok && (st == 0 || st == int(ev.Response.Status)) {
					delete(b.expected, path)
					return
				}
				b.problems = append(b.problems, fmt.Sprintf("response %d for %s", ev.Response.Status, ev.Response.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to chromium: %v", err)
	}
	// confirm() before bulk actions and resets: the person says yes.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil && ctx.Err() == nil {
				t.Errorf("accept dialog: %v", err)
			}
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable runtime events: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable log events: %v", err)
	}
	return b
}

// do runs steps, failing the test on an error or on anything the listener caught.
func (b *browser) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot(step + "-failed")
		b.t.Fatalf("%s: %v", step, err)
	}
	b.check(step)
}

// get runs one action that returns a value.
func get[T any](b *browser, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.shot(step + "-failed")
		b.t.Fatalf("%s: %v", step, err)
	}
	b.check(step)
	return v
}

// until waits until the expression is true in the page. It keeps asking across page loads
// (an action that reloads the page destroys the context an in-page poll runs in).
func until(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var last error
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			last = err
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), last)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func (b *browser) check(step string) {
	b.t.Helper()
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("%s: %s", step, p)
	}
	if len(problems) > 0 {
		b.t.FailNow()
	}
}

// caught waits until the listener has recorded a problem containing substr, and removes it.
func (b *browser) caught(substr string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for i, p := range b.problems {
			if strings.Contains(p, substr) {
				b.problems = append(b.problems[:i], b.problems[i+1:]...)
				b.mu.Unlock()
				return
			}
		}
		b.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("the browser listener never reported %q", substr)
}

// expect allows one error response (a refusal the test provokes); status 0 allows any.
func (b *browser) expect(path string, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expected[path] = status
}

// shot writes a screenshot of the page as a test artifact.
func (b *browser) shot(name string) {
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// a11yCheck lists what keyboard and screen-reader users would miss on the page: controls
// without a label (or aria-label), buttons without text, duplicate ids, images without a name.
const a11yCheck = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!(el.labels && el.labels.length) && !el.getAttribute("aria-label")) bad.push("unlabelled " + (el.id || el.name || el.outerHTML.slice(0, 60)));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) bad.push("nameless " + el.outerHTML.slice(0, 60));
  }
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) { if (ids[el.id]) bad.push("duplicate id " + el.id); ids[el.id] = true; }
  for (const el of document.querySelectorAll("svg[role=img]")) { if (!el.getAttribute("aria-label")) bad.push("svg without a name"); }
  if (!document.documentElement.lang) bad.push("no lang");
  return bad;
})()`

// accessible fails the test for anything a11yCheck finds on the current page.
func (b *browser) accessible(page string) {
	b.t.Helper()
	for _, p := range get(b, "accessibility of "+page, chromedp.Evaluate[[]string](a11yCheck)) {
		b.t.Errorf("%s: %s", page, p)
	}
}

func (b *browser) login(base string, l apptest.Login) {
	b.t.Helper()
	b.do("login "+l.Email,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), l.Email),
		chromedp.SendKeys(css("#password"), l.Password),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css("#total-sims")),
	)
}

// TestDashboardInBrowser walks the dashboard's core flows in headless Chromium against a
// server wired to the simulator: sign in, filter the table, open a SIM, top it up after the
// confirmation and see the gauge change, send an SMS, run a bulk disable and watch its
// progress arrive live, and as a viewer find no write controls.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests run without -short")
	}
	// The bulk job's calls to 1NCE wait while hold is set, so the test sees the job page
	// before any SIM is done and the progress can only arrive over the event stream.
	var hold, failReset atomic.Bool
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(open)
	env := apptest.Start(t, apptest.Options{MirrorSIMs: 20, Sim: simOptions(), SimMiddleware: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failReset.Load() && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "reset") {
				// 1NCE refuses the reset: the page must say so in words.
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"statusCode":400,"errorCode":"INVALID_REQUEST","message":"SIM cannot be reset right now"}`))
				return
			}
			if hold.Load() && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/sims/") {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
			h.ServeHTTP(w, r)
		})
	}})
	b := newBrowser(t)
	base := env.URL
	iccids := env.Sim.ICCIDs()
	target := iccids[3]

	b.login(base, env.Logins[fleet.RoleAdmin])
	// The safety net works: an inline script is refused by the page's CSP, and the refusal
	// reaches the listener (then it is taken off the list of problems).
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!!document.body.appendChild(Object.assign(document.createElement("script"), {textContent: "window.injected = true"}))`)); err != nil {
		t.Fatal(err)
	}
	b.caught("Content Security Policy")
	if injected := get(b, "inline script ran", chromedp.Evaluate[bool](`window.injected === true`)); injected {
		t.Fatal("an inline script ran despite the CSP")
	}
	b.shot("01-overview")
	b.accessible("overview")

	// The table, filtered by the search box.
	b.do("filter table",
		chromedp.Navigate(base+"/sims"),
		chromedp.WaitVisible(css("#sim-table")),
		chromedp.SendKeys(css("#q"), target),
		chromedp.Click(css("#apply-filter")),
		chromedp.WaitVisible(css(`#result-count[data-query="`+target+`"]`)),
	)
	if count := get(b, "result count", chromedp.Text(css("#result-count"))); !strings.HasPrefix(count, "1 SIMs match") {
		t.Fatalf("filtered table says %q, want 1 match", count)
	}
	b.shot("02-sims-filtered")
	b.accessible("SIM table")

	// The SIM page, and a top-up after the confirmation that states the cost.
	b.do("open SIM", chromedp.Click(css(`a[href="/sims/`+target+`"]`)), chromedp.WaitVisible(css("#sim")))
	b.do("SIM gauge",
		chromedp.WaitVisible(css("#data-gauge svg")),
	)
	before := get(b, "data left", chromedp.AttributeValue(css("#data-left"), "data-bytes")).Value
	b.shot("03-sim")
	b.accessible("SIM page")
	b.do("top-up dialog",
		chromedp.Click(css("#btn-topup")),
		chromedp.WaitVisible(css("#topup-dialog")),
		until(`!document.getElementById("topup-confirm").disabled`),
	)
	if cost := get(b, "top-up cost", chromedp.Text(css("#topup-cost"))); !strings.Contains(cost, "costs") {
		t.Fatalf("top-up confirmation does not state a cost: %q", cost)
	}
	b.shot("04-topup-confirm")
	b.do("top up",
		chromedp.Click(css("#topup-confirm")),
		until(`document.getElementById("data-left") !== null && document.getElementById("data-left").dataset.bytes !== `+strconv.Quote(before)),
	)
	after := get(b, "data left after", chromedp.AttributeValue(css("#data-left"), "data-bytes")).Value
	nb, _ := strconv.ParseInt(before, 10, 64)
	na, _ := strconv.ParseInt(after, 10, 64)
	if na <= nb {
		t.Fatalf("data left after the top-up %d, before %d: want more", na, nb)
	}
	b.shot("05-sim-topped-up")

	// An SMS, then seen in the thread.
	msg := "hello from the dashboard " + strconv.FormatInt(time.Now().UnixNano()%100000, 10)
	b.do("send SMS",
		chromedp.WaitVisible(css("#sms-text")),
		chromedp.SendKeys(css("#sms-text"), msg),
		chromedp.Click(css("#sms-send")),
		until(`document.getElementById("sms-thread") !== null && document.getElementById("sms-thread").textContent.includes(`+strconv.Quote(msg)+`)`),
	)
	b.shot("06-sim-sms")

	// The label, and a reset that 1NCE refuses (shown as a sentence), then one it accepts.
	b.do("label",
		chromedp.WaitVisible(css("#label-input")),
		chromedp.SetValue(css("#label-input"), "pump-3-renamed"),
		chromedp.Click(css("#label-form button")),
		until(`document.querySelector("h1").textContent.includes("pump-3-renamed")`),
	)
	failReset.Store(true)
	b.expect("/api/v1/sims/"+target+"/reset", 0)
	b.do("reset refused",
		chromedp.Click(css("#btn-reset")),
		until(`document.getElementById("flash").className === "error" && document.getElementById("flash").textContent.includes("1NCE")`),
	)
	refused := get(b, "refusal text", chromedp.Text(css("#flash")))
	t.Logf("a refused reset reads: %q", refused)
	if strings.Contains(refused, "{") || strings.Contains(refused, "upstream_") {
		t.Errorf("the refusal is shown as code, not words: %q", refused)
	}
	b.shot("06b-reset-refused")
	failReset.Store(false)
	b.do("reset",
		chromedp.Click(css("#btn-reset")),
		until(`document.getElementById("flash").textContent.includes("Connectivity reset requested")`),
	)

	// A bulk disable of the first five SIMs, with its progress streamed to the job page.
	b.do("select SIMs",
		chromedp.Navigate(base+"/sims?sort=iccid"),
		chromedp.WaitVisible(css("#sim-table")),
	)
	for _, id := range iccids[:5] {
		b.do("select "+id, chromedp.Click(css(`input.select[value="`+id+`"]`)))
	}
	hold.Store(true)
	b.do("run bulk disable",
		chromedp.SetValue(css("#bulk-action"), "disable"),
		chromedp.Click(css("#bulk-run")),
		chromedp.WaitVisible(css("#job-progress")),
	)
	// Mark the loaded page: the mark survives only if no reload happens.
	get(b, "mark page", chromedp.Evaluate[bool](`window.__loaded = true`))
	if total := get(b, "job total", chromedp.AttributeValue(css("#job"), "data-total")).Value; total != "5" {
		t.Fatalf("job over %s SIMs, want 5", total)
	}
	if done := get(b, "job page before progress", chromedp.Text(css("#job-done"))); done != "0" {
		t.Fatalf("job shows %s done while 1NCE is held", done)
	}
	b.shot("07-job-started")
	open()
	b.do("watch job finish",
		until(`document.getElementById("job-done").textContent === "5" && !document.getElementById("job-finished").hidden`),
		// The per-SIM results are swapped in when the job ends, still without a reload.
		until(`[...document.querySelectorAll("#job-items tbody td:nth-child(2)")].filter((td) => td.textContent === "ok").length === 5`),
	)
	state := get(b, "job state", chromedp.Text(css("#job-state")))
	loaded := get(b, "page kept", chromedp.Evaluate[bool](`window.__loaded === true`))
	if state != "done" || !loaded {
		t.Fatalf("job state %q, page kept without reload %v", state, loaded)
	}
	b.shot("08-job-done")
	b.accessible("job")
	for _, id := range iccids[:5] {
		if s, _ := env.Sim.SIM(id); !strings.EqualFold(s.Status, "Disabled") {
			t.Errorf("SIM %s is %q at 1NCE after the bulk disable", id, s.Status)
		}
	}

	// Every SIM matching a filter, beyond the page shown: the server resolves the filter.
	b.do("bulk enable by filter",
		chromedp.Navigate(base+"/sims?status=Disabled&size=2"),
		chromedp.WaitVisible(css("#bulk-all")),
		chromedp.Click(css("#bulk-all")),
		chromedp.SetValue(css("#bulk-action"), "enable"),
		chromedp.Click(css("#bulk-run")),
		chromedp.WaitVisible(css("#job-progress")),
		until(`document.getElementById("job-state").textContent === "done" && document.getElementById("job-done").textContent === "5"`),
	)
	for _, id := range iccids[:5] {
		if s, _ := env.Sim.SIM(id); !strings.EqualFold(s.Status, "Enabled") {
			t.Errorf("SIM %s is %q at 1NCE after the bulk enable by filter", id, s.Status)
		}
	}

	// An alert rule made in the form; the alert it raises arrives live on the alerts page and
	// is acknowledged there.
	b.do("create alert rule",
		chromedp.Navigate(base+"/alerts/rules"),
		chromedp.WaitVisible(css("#rule-form")),
		chromedp.SendKeys(css("#rule-name"), "data nearly gone"),
		chromedp.SetValue(css("#rule-params"), `{"threshold_pct": 100, "quota": "data"}`),
		chromedp.Click(css("#rule-create")),
		until(`document.querySelector("#rules tbody") !== null && document.querySelector("#rules tbody").textContent.includes("data nearly gone")`),
	)
	b.shot("09-alert-rules")
	b.accessible("alert rules")
	b.do("alerts page", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(css("#alerts")))
	// A quota read that finds the SIM below the threshold raises the alert.
	if res := env.Do(apptest.Request{Method: http.MethodGet, Path: "/api/v1/sims/" + iccids[7] + "/quota/data?fresh=true", Role: fleet.RoleViewer}); res.Status != http.StatusOK {
		t.Fatalf("quota read: %d %s", res.Status, res.Body)
	}
	b.do("alert arrives live",
		until(`document.getElementById("flash").textContent.includes("New alert")`),
		until(`document.querySelector("#alerts tbody").textContent.includes("data nearly gone")`),
	)
	b.shot("10-alert-live")
	b.do("acknowledge alert",
		chromedp.Navigate(base+"/alerts?state=open"),
		chromedp.WaitVisible(css(`[data-alert-act="acknowledge"]`)),
		chromedp.Click(css(`[data-alert-act="acknowledge"]`)),
		until(`document.querySelector("#alerts tbody .alert-state") !== null && document.querySelector("#alerts tbody .alert-state").textContent.includes("acknowledged")`),
	)
	b.shot("11-alert-acknowledged")
	b.accessible("alerts")

	// The admin pages.
	for _, p := range []struct{ path, ready, name string }{
		{"/jobs", "#h-bulk", "12-jobs"}, {"/admin/users", "#users", "13-users"},
		{"/admin/keys", "#keys", "14-keys"}, {"/audit", "#audit", "15-audit"},
	} {
		b.do(p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible(css(p.ready)))
		b.shot(p.name)
		b.accessible(p.path)
	}
	b.do("add user",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(css("#user-form")),
		chromedp.SendKeys(css("#user-email"), "new.operator@test.example"),
		chromedp.SetValue(css("#user-role"), "operator"),
		chromedp.SendKeys(css("#user-password"), "a-long-enough-password"),
		chromedp.Click(css("#user-form button")),
		until(`document.querySelector("#users tbody").textContent.includes("new.operator@test.example")`),
	)
	b.do("create API key",
		chromedp.Navigate(base+"/admin/keys"),
		chromedp.WaitVisible(css("#key-form")),
		chromedp.SendKeys(css("#key-name"), "browser-made"),
		chromedp.Click(css("#key-create")),
		chromedp.WaitVisible(css("#new-key-value")),
	)
	if newKey := get(b, "new key", chromedp.Text(css("#new-key-value"))); !strings.HasPrefix(newKey, "ofk_") {
		t.Fatalf("new key shown as %q", newKey)
	}
	b.shot("16-key-created")
	b.do("audit log", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(css("#audit")))
	auditText := get(b, "audit text", chromedp.Text(css("#audit")))
	for _, action := range []string{"sim.topup", "sms.send", "bulk.update", "api_key.create", "auth.login", "alert_rule.create", "alert.acknowledge", "user.create"} {
		if !strings.Contains(auditText, action) {
			t.Errorf("audit log page lacks %s", action)
		}
	}

	// Sign out, and in as a viewer: no write controls anywhere, and the API refuses anyway.
	b.do("sign out", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#email")))
	b.accessible("sign-in")
	b.login(base, env.Logins[fleet.RoleViewer])
	for _, path := range []string{"/", "/sims", "/sims/" + target, "/jobs", "/alerts", "/alerts/rules"} {
		b.do("viewer "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(css("#main")))
		writes := get(b, "count write controls", chromedp.Evaluate[int](`document.querySelectorAll("#bulk-form, input.select, [data-sim-action], #label-form, #sms-form, #topup-dialog, #job-cancel, #key-form, #user-form, [data-alert-act], #rule-form, [data-rule-delete]").length`))
		if writes != 0 {
			t.Errorf("viewer sees %d write controls on %s", writes, path)
		}
		if path == "/sims" {
			b.shot("17-viewer-sim-table")
		}
	}
	// Keyboard only: the first Tab reaches the skip link, and the search submits with Enter.
	b.do("keyboard", chromedp.Navigate(base+"/sims"), chromedp.WaitVisible(css("#q")), chromedp.KeyEvent(kb.Tab))
	if cls := get(b, "focused element", chromedp.Evaluate[string](`document.activeElement.className`)); cls != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", cls)
	}
	b.do("search by keyboard",
		chromedp.Focus(css("#q")),
		chromedp.KeyEvent("pump-1"+kb.Enter),
		chromedp.WaitVisible(css(`#result-count[data-query="pump-1"]`)),
	)
	// A phone in dark mode: the system setting is followed and nothing overflows the screen.
	b.do("phone, dark",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}),
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/sims"),
		chromedp.WaitVisible(css("#sim-table")),
	)
	if bg := get(b, "background", chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(15, 18, 22)" {
		t.Errorf("dark mode background %q", bg)
	}
	if wide := get(b, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); wide {
		t.Error("the SIM table overflows a phone's width")
	}
	b.shot("18-phone-dark-sims")
	b.do("phone SIM page", chromedp.Navigate(base+"/sims/"+target), chromedp.WaitVisible(css("#sim")))
	b.shot("19-phone-dark-sim")
	b.do("phone overview", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#total-sims")))
	b.shot("20-phone-dark-overview")

	b.expect("/api/v1/sims/"+target, http.StatusForbidden)
	status := get(b, "viewer write refused", chromedp.Evaluate[int](`fetch("/api/v1/sims/`+target+`", {method: "PUT", credentials: "same-origin",
		headers: {"Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content},
		body: JSON.stringify({label: "viewer was here"})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Fatalf("viewer's PUT answered %d, want 403", status)
	}
	b.expect("/admin/users", http.StatusForbidden)
	b.do("viewer admin page refused", chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible(css("#error-message")))
	t.Logf("screenshots in %s", b.artifacts)
}

// simOptions is the simulator of the browser test: 20 SIMs, quiet network (no background
// activity that would change the pages between reads).
func simOptions() oncesim.Options { return oncesim.Options{Sims: 20} }
