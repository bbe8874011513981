package api

import (
	"context"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/report"
)

// ReportStore reads the stored fleet reports.
type ReportStore interface {
	ListReports(ctx context.Context, limit, offset int) ([]fleet.Report, int, error)
	ReportByID(ctx context.Context, id string) (*fleet.Report, error)
}

// reportEntry is a report in the list.
type reportEntry struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	CreatedAt   time.Time `json:"created_at"`
	JSONURL     string    `json:"json_url"`
	CSVURL      string    `json:"csv_url"`
}

// csvOut is a CSV download.
type csvOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (s *Server) registerReports() {
	st := s.cfg.Reports
	register(s, op{id: "list-reports", method: http.MethodGet, path: "/reports", tag: "Reports", role: fleet.RoleViewer,
		summary:     "List fleet reports",
		description: "The daily fleet reports (SIMs by status, usage and top consumers, quota risks, top-ups, Data Streamer health), newest first. Run one now with POST /jobs/fleet_report/run."},
		func(ctx context.Context, in *PageQuery) (*listOut[reportEntry], error) {
			p, err := fleet.SIMFilter{Page: in.Page, PageSize: in.PageSize}.Normalize()
			if err != nil {
				return nil, err
			}
			rs, total, err := st.ListReports(ctx, p.PageSize, p.Offset())
			if err != nil {
				return nil, err
			}
			out := fleet.Page[reportEntry]{Items: make([]reportEntry, 0, len(rs)), Total: int64(total), Page: p.Page, PageSize: p.PageSize}
			for _, r := range rs {
				url := Prefix + "/reports/" + r.ID
				out.Items = append(out.Items, reportEntry{ID: r.ID, Kind: r.Kind, PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd,
					CreatedAt: r.CreatedAt, JSONURL: url, CSVURL: url + "/csv"})
			}
			return pageResult(out), nil
		})

	register(s, op{id: "get-report", method: http.MethodGet, path: "/reports/{id}", tag: "Reports", role: fleet.RoleViewer,
		summary: "Get a fleet report (JSON)"},
		func(ctx context.Context, in *IDPath) (*struct{ Body rawJSON[report.Daily] }, error) {
			r, err := st.ReportByID(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &struct{ Body rawJSON[report.Daily] }{Body: rawJSON[report.Daily]{raw: r.JSON}}, nil
		})

	register(s, op{id: "get-report-csv", method: http.MethodGet, path: "/reports/{id}/csv", tag: "Reports", role: fleet.RoleViewer,
		summary: "Download a fleet report (CSV)", description: "section,key,value rows, ready for a spreadsheet."},
		func(ctx context.Context, in *IDPath) (*csvOut, error) {
			r, err := st.ReportByID(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			name := "oncefleet-" + r.Kind + "-" + r.PeriodStart.Format(time.DateOnly) + ".csv"
			return &csvOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: []byte(r.CSV)}, nil
		})
}
