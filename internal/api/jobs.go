package api

import (
	"context"
	"net/http"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

func (s *Server) registerJobs() {
	c := s.cfg.Control
	register(s, op{id: "list-jobs", method: http.MethodGet, path: "/jobs", tag: "Jobs", role: fleet.RoleViewer,
		summary: "List bulk jobs", description: "Newest first, with progress."},
		func(ctx context.Context, in *PageQuery) (*listOut[control.Job], error) {
			p, err := c.Jobs(ctx, in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageResult(p), nil
		})

	register(s, op{id: "get-job", method: http.MethodGet, path: "/jobs/{id}", tag: "Jobs", role: fleet.RoleViewer,
		summary: "Get a bulk job's progress"},
		func(ctx context.Context, in *IDPath) (*dataOut[control.Job], error) {
			j, err := c.Job(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return data(j), nil
		})

	type items struct {
		IDPath
		PageQuery
		State string `query:"state" enum:"pending,running,ok,failed," doc:"Only SIMs in this state."`
	}
	register(s, op{id: "list-job-items", method: http.MethodGet, path: "/jobs/{id}/items", tag: "Jobs", role: fleet.RoleViewer,
		summary: "List a bulk job's per-SIM results", description: "In ICCID order; failed SIMs carry the error."},
		func(ctx context.Context, in *items) (*listOut[control.JobItem], error) {
			p, err := c.JobItems(ctx, in.ID, fleet.BulkItemState(in.State), in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageResult(p), nil
		})

	register(s, op{id: "cancel-job", method: http.MethodPost, path: "/jobs/{id}/cancel", tag: "Jobs", role: fleet.RoleOperator, action: "bulk.cancel",
		summary: "Cancel a bulk job", description: "No further SIMs are started; SIMs in flight finish and are counted. 409 when the job has ended."},
		func(ctx context.Context, in *IDPath) (*dataOut[control.Job], error) {
			j, err := c.CancelJob(ctx, actor(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			return data(j), nil
		})
}
