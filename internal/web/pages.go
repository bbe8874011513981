package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// overviewData is the fleet at a glance.
type overviewData struct {
	Statuses      []fleet.StatusCount
	Total         int64
	Online        int64
	Exhausted     int64
	Today, Month  int64
	Chart         template.HTML
	Snapshot      usageView
	AtRisk        []fleet.SIM
	OpenAlerts    int64
	AlertsEnabled bool
	Jobs          []jobSummary
	Streams       []record.StreamHealth
	Errors        []string
}

type jobSummary struct {
	Name string
	Last *fleet.JobRun
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, v viewer) {
	d, err := s.overviewData(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "overview", page{Title: "Fleet overview", Nav: "overview", V: v, Data: d})
}

// overviewData runs the overview's queries: each is a count or a bounded page, never a scan
// of the whole fleet into memory.
func (s *Server) overviewData(r *http.Request) (overviewData, error) {
	ctx := r.Context()
	var d overviewData
	counts, err := s.cfg.Store.CountSIMsByStatus(ctx)
	if err != nil {
		return d, err
	}
	d.Statuses = counts
	for _, c := range counts {
		d.Total += c.Count
	}
	yes := true
	online, err := s.cfg.Store.ListSIMs(ctx, fleet.SIMFilter{Online: &yes, PageSize: 1})
	if err != nil {
		return d, err
	}
	d.Online = online.Total
	ex, err := s.cfg.Store.ListSIMs(ctx, fleet.SIMFilter{DataQuotaStatus: "EXHAUSTED", PageSize: 1})
	if err != nil {
		return d, err
	}
	d.Exhausted = ex.Total
	// The fleet-wide sums come from the snapshot Run keeps (see snapshot.go).
	u := s.snap.view()
	d.Snapshot = u
	d.AtRisk = u.Risks
	d.Today = u.Today
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	pts := make([]barPoint, 30)
	for i := range pts {
		day := today.AddDate(0, 0, i-29)
		pts[i] = barPoint{Day: day, Value: float64(u.ByDay[day])}
		if !day.Before(monthStart) {
			d.Month += u.ByDay[day]
		}
	}
	if u.Ready {
		d.Chart = barChart("Fleet data usage per day, last 30 days", pts, bytesText, niceBytes)
	}
	d.OpenAlerts, d.AlertsEnabled = s.openAlerts(r)
	if st, err := s.cfg.Jobs.Jobs(ctx, 1); err == nil {
		for _, j := range st {
			js := jobSummary{Name: j.Name}
			if len(j.Runs) > 0 {
				js.Last = &j.Runs[0]
			}
			d.Jobs = append(d.Jobs, js)
		}
	} else {
		d.Errors = append(d.Errors, "background jobs: "+message(err))
	}
	if sh, err := s.cfg.Store.StreamHealth(ctx); err == nil {
		d.Streams = sh
	} else {
		d.Errors = append(d.Errors, "data streamer: "+message(err))
	}
	return d, nil
}

// tableData is one page of the SIM table.
type tableData struct {
	Query    tableQuery
	Page     fleet.Page[fleet.SIM]
	Pages    int64
	Statuses []string
	Sizes    []int
	Columns  []column
}

type column struct{ Key, Label string }

var tableColumns = []column{{"iccid", "ICCID"}, {"label", "Label"}, {"status", "Status"}, {"online", "Online"},
	{"msisdn", "MSISDN"}, {"imsi", "IMSI"}, {"ip_address", "IP address"}, {"data_quota_status", "Data quota"}, {"data_volume_left", "Data left"}}

func (s *Server) simTable(w http.ResponseWriter, r *http.Request, v viewer) {
	q, err := parseTableQuery(r.URL.Query())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p, err := s.cfg.Control.SIMs(r.Context(), q.filter())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	pages := (p.Total + int64(q.Size) - 1) / int64(q.Size)
	d := tableData{Query: q, Page: p, Pages: max(pages, 1), Statuses: []string{"Enabled", "Disabled"}, Sizes: tablePageSizes, Columns: tableColumns}
	s.render(w, r, http.StatusOK, "sims", page{Title: "SIMs", Nav: "sims", V: v, Data: d})
}

// simData is everything the SIM page shows; parts only 1NCE knows may be missing (with why).
type simData struct {
	SIM         fleet.SIM
	Days        int
	Status      *control.NetworkStatus
	StatusErr   string
	DataQuota   *fleet.Quota
	DataErr     string
	SMSQuota    *fleet.Quota
	SMSErr      string
	DataGauge   template.HTML
	SMSGauge    template.HTML
	Chart       template.HTML
	UsageTotal  int64
	UsageErr    string
	Events      fleet.Page[fleet.Event]
	EventsErr   string
	SMS         []fleet.SMS
	SMSListErr  string
	EventsPage  int
	EventsPages int64
}

func (s *Server) simPage(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx := r.Context()
	iccid := r.PathValue("iccid")
	if err := fleet.ValidateICCID("iccid", iccid); err != nil {
		s.errorPage(w, r, err)
		return
	}
	days := 30
	switch r.URL.Query().Get("days") {
	case "", "30":
	case "90":
		days = 90
	default:
		s.errorPage(w, r, fleet.Invalid("days", "use 30 or 90"))
		return
	}
	evPage, err := pageParam(r.URL.Query(), "events_page")
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	sim, err := s.cfg.Control.SIM(ctx, iccid, false)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := simData{SIM: sim.Value, Days: days, EventsPage: evPage}
	// What only 1NCE knows goes through the cache, and on a miss to 1NCE: the reads are
	// independent, so they run at once and the page waits for the slowest, not the sum.
	var wg sync.WaitGroup
	wg.Go(func() {
		if st, err := s.cfg.Control.Status(ctx, iccid, false); err == nil {
			d.Status = &st.Value
		} else {
			d.StatusErr = message(err)
		}
	})
	wg.Go(func() {
		if q, err := s.cfg.Control.Quota(ctx, iccid, fleet.QuotaData, false); err == nil {
			d.DataQuota = &q.Value
			d.DataGauge = gauge("Data quota", q.Value.Volume, q.Value.TotalVolume, bytesText)
		} else {
			d.DataErr = message(err)
		}
	})
	wg.Go(func() {
		if q, err := s.cfg.Control.Quota(ctx, iccid, fleet.QuotaSMS, false); err == nil {
			d.SMSQuota = &q.Value
			d.SMSGauge = gauge("SMS quota", q.Value.Volume, q.Value.TotalVolume, countText)
		} else {
			d.SMSErr = message(err)
		}
	})
	wg.Go(func() {
		today := time.Now().UTC().Truncate(24 * time.Hour)
		from := today.AddDate(0, 0, 1-days)
		u, err := s.cfg.Control.Usage(ctx, iccid, from, today.AddDate(0, 0, 1), false)
		if err != nil {
			d.UsageErr = message(err)
			return
		}
		byDay := map[time.Time]int64{}
		for _, day := range u.Value.Days {
			byDay[day.Day.UTC().Truncate(24*time.Hour)] += day.VolumeTotal
			d.UsageTotal += day.VolumeTotal
		}
		pts := make([]barPoint, days)
		for i := range pts {
			day := from.AddDate(0, 0, i)
			pts[i] = barPoint{Day: day, Value: float64(byDay[day])}
		}
		d.Chart = barChart("Data usage per day, last "+strconv.Itoa(days)+" days", pts, bytesText, niceBytes)
	})
	wg.Go(func() {
		if ev, err := s.cfg.Control.Events(ctx, fleet.EventFilter{ICCID: iccid, Page: evPage, PageSize: 20}, false); err == nil {
			d.Events = ev.Value
			d.EventsPages = max((ev.Value.Total+19)/20, 1)
		} else {
			d.EventsErr = message(err)
		}
	})
	wg.Go(func() {
		if sms, err := s.cfg.Control.SMSList(ctx, iccid, 1, 50); err == nil {
			d.SMS = sms.Value.Items
			// A thread reads oldest first, like a phone's.
			slices.SortStableFunc(d.SMS, func(a, b fleet.SMS) int { return smsTime(a).Compare(smsTime(b)) })
		} else {
			d.SMSListErr = message(err)
		}
	})
	wg.Wait()
	s.render(w, r, http.StatusOK, "sim", page{Title: "SIM " + iccid, Nav: "sims", V: v, Data: d})
}

func smsTime(m fleet.SMS) time.Time {
	if !m.SubmitDate.IsZero() {
		return m.SubmitDate
	}
	return m.CreatedAt
}

// jobsData lists bulk jobs, the periodic jobs with their recent runs, and reports.
type jobsData struct {
	Bulk        fleet.Page[control.Job]
	BulkPage    int
	BulkPages   int64
	Periodic    []jobs.Status
	PeriodicErr string
	Reports     []fleet.Report
	ReportsErr  string
}

func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx := r.Context()
	pg, err := pageParam(r.URL.Query(), "page")
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	bulk, err := s.cfg.Control.Jobs(ctx, pg, 20)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := jobsData{Bulk: bulk, BulkPage: pg, BulkPages: max((bulk.Total+19)/20, 1)}
	if st, err := s.cfg.Jobs.Jobs(ctx, 5); err == nil {
		d.Periodic = st
	} else {
		d.PeriodicErr = message(err)
	}
	if reps, _, err := s.cfg.Store.ListReports(ctx, 10, 0); err == nil {
		d.Reports = reps
	} else {
		d.ReportsErr = message(err)
	}
	s.render(w, r, http.StatusOK, "jobs", page{Title: "Jobs and reports", Nav: "jobs", V: v, Data: d})
}

// jobData is one bulk job with a page of its per-SIM results.
type jobData struct {
	Job      control.Job
	Items    fleet.Page[control.JobItem]
	Failed   fleet.Page[control.JobItem]
	Page     int
	Pages    int64
	Finished bool
}

func (s *Server) jobPage(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx := r.Context()
	id := r.PathValue("id")
	if len(id) > 64 {
		s.errorPage(w, r, fleet.Invalid("id", "not a job id"))
		return
	}
	pg, err := pageParam(r.URL.Query(), "page")
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	j, err := s.cfg.Control.Job(ctx, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	items, err := s.cfg.Control.JobItems(ctx, id, "", pg, 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := jobData{Job: j, Items: items, Page: pg, Pages: max((items.Total+49)/50, 1), Finished: j.State.Terminal()}
	s.render(w, r, http.StatusOK, "job", page{Title: "Bulk job " + j.Kind, Nav: "jobs", V: v, Data: d})
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, v viewer) {
	// Reports are served by the API (JSON and CSV); the page links there.
	http.Redirect(w, r, "/api/v1/reports/"+urlPathEscape(r.PathValue("id")), http.StatusSeeOther)
}

type usersData struct {
	Users []control.User
	Roles []fleet.Role
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, v viewer) {
	us, err := s.cfg.Accounts.Users(r.Context())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", page{Title: "Users", Nav: "users", V: v,
		Data: usersData{Users: us, Roles: []fleet.Role{fleet.RoleViewer, fleet.RoleOperator, fleet.RoleAdmin}}})
}

type keysData struct {
	Keys  []control.APIKey
	Roles []fleet.Role
}

func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, v viewer) {
	ks, err := s.cfg.Accounts.APIKeys(r.Context())
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "keys", page{Title: "API keys", Nav: "keys", V: v,
		Data: keysData{Keys: ks, Roles: []fleet.Role{fleet.RoleViewer, fleet.RoleOperator, fleet.RoleAdmin}}})
}

type auditData struct {
	Entries []fleet.AuditEntry
	Total   int
	Page    int
	Pages   int
	Action  string
	Actor   string
	Target  string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, v viewer) {
	pg, err := pageParam(r.URL.Query(), "page")
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	q := r.URL.Query()
	f := fleet.AuditFilter{Action: q.Get("action"), Actor: q.Get("actor"), Target: q.Get("target"), Limit: 50, Offset: (pg - 1) * 50}
	for _, s := range []string{f.Action, f.Actor, f.Target} {
		// PostgreSQL refuses NUL bytes and invalid UTF-8 in text: bad input, not a 500.
		if len(s) > 256 || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			err = fleet.Invalid("filter", "use at most 256 characters of text")
		}
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	es, total, err := s.cfg.Store.ListAudit(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", page{Title: "Audit log", Nav: "audit", V: v,
		Data: auditData{Entries: es, Total: total, Page: pg, Pages: max((total+49)/50, 1), Action: f.Action, Actor: f.Actor, Target: f.Target}})
}

// pageParam reads a 1-based page number (1 when absent).
func pageParam(q url.Values, name string) (int, error) {
	s := q.Get(name)
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > fleet.MaxPage {
		return 0, fleet.Invalid(name, "must be a page number from 1 to %d", fleet.MaxPage)
	}
	return n, nil
}
