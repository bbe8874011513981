package control

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/once"
)

// Upstream is what the control plane calls on 1NCE (implemented by *once.Client).
type Upstream interface {
	V1Available() bool

	GetSIM(ctx context.Context, iccid string) (once.SIM, error)
	UpdateSIM(ctx context.Context, u once.SIMUpdate) (once.Accepted, error)
	Connectivity(ctx context.Context, iccid string) (once.Connectivity, error)
	ConnectivityInfo(ctx context.Context, p once.ConnectivityInfoParams) (once.V1ConnectivityInfo, error)
	Reset(ctx context.Context, iccid string) (once.Accepted, error)
	ListEvents(ctx context.Context, opts once.EventListOptions) iter.Seq2[once.Event, error]
	Usage(ctx context.Context, p once.UsageParams) ([]once.DailyUsage, error)

	DataQuota(ctx context.Context, iccid string) (once.Quota, error)
	SMSQuota(ctx context.Context, iccid string) (once.Quota, error)
	TopUp(ctx context.Context, p once.TopUpParams) (once.TopUpResult, error)
	TopUpMultiple(ctx context.Context, p once.TopUpMultipleParams) (once.TopUpResult, error)
	AutoTopUp(ctx context.Context, r once.AutoTopUpRequest) (once.Accepted, error)

	SendSMS(ctx context.Context, m once.SMSMessage) (once.SentSMS, error)
	ListSMS(ctx context.Context, opts once.SMSListOptions) iter.Seq2[once.SMS, error]
	GetSMS(ctx context.Context, ref once.SMSRef) (once.SMS, error)
	CancelSMS(ctx context.Context, ref once.SMSRef) (once.Accepted, error)

	Limits(ctx context.Context) (once.Limits, error)
	SetLimits(ctx context.Context, r once.SetLimitsRequest) (once.Accepted, error)
	SelectableLimits(ctx context.Context, s once.LimitService) (once.Limits, error)
	Extension(ctx context.Context, r once.ExtensionRequest) (once.ExtensionResult, error)
	Transfer(ctx context.Context, t once.SIMTransfer) (once.Accepted, error)

	OrdersPage(ctx context.Context, p once.OrdersPageParams) ([]once.Order, once.Page, error)
	GetOrder(ctx context.Context, orderNumber int64) (once.Order, error)
	CreateOrder(ctx context.Context, o once.OrderRequest) (once.OrderResult, error)
	Products(ctx context.Context) ([]once.Product, error)
	SupportPage(ctx context.Context, p once.SupportPageParams) ([]once.SupportRequest, once.Page, error)
	CreateSupportRequest(ctx context.Context, r once.NewSupportRequest) (once.Accepted, error)
}

var _ Upstream = (*once.Client)(nil)

// errNoUpstream answers calls that need 1NCE on a server without 1NCE credentials.
var errNoUpstream = &fleet.Error{Code: fleet.CodeUnavailable, Message: "1NCE is not configured on this server (ONCEFLEET_ONCE_CLIENT_ID and ONCEFLEET_ONCE_CLIENT_SECRET)"}

// upstream returns the 1NCE client, or errNoUpstream.
func (s *Service) upstream() (Upstream, error) {
	if s.up == nil {
		return nil, errNoUpstream
	}
	return s.up, nil
}

// breakerRetryAfter is what a client is told to wait when the circuit to 1NCE is open: about
// the breaker's own open period.
const breakerRetryAfter = 30 * time.Second

// upstreamErr maps an error of the once SDK onto a domain error with a stable code, keeping
// 1NCE's error code and request id. what names the call for the message.
func upstreamErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var (
		ae  *once.APIError
		rle *once.RateLimitError
		ue  *once.UnsupportedError
		fe  *fleet.Error
	)
	switch {
	case errors.As(err, &fe):
		return err
	case errors.As(err, &ue):
		return &fleet.Error{Code: fleet.CodeUnsupported, Message: fmt.Sprintf("%s needs 1NCE Management API v1, which this account does not offer (%s)", what, ue.Reason)}
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &rle):
		fe = &fleet.Error{Code: fleet.CodeUnavailable, Message: "1NCE's request limit is reached; try again later", RetryAfter: max(rle.RetryAfter, time.Second)}
		if rle.API != nil {
			fe.UpstreamCode, fe.UpstreamRequestID = rle.API.Code, rle.API.RequestID
		}
		return fe
	case errors.Is(err, once.ErrUnavailable):
		return &fleet.Error{Code: fleet.CodeUnavailable, Message: "1NCE is failing; calls are paused for a moment", RetryAfter: breakerRetryAfter}
	case errors.Is(err, once.ErrAuth):
		fe = &fleet.Error{Code: fleet.CodeUpstreamAuth, Message: "1NCE refused oncefleet's API credentials; an administrator must check them"}
		if errors.As(err, &ae) {
			fe.UpstreamCode, fe.UpstreamRequestID = ae.Code, ae.RequestID
		}
		return fe
	case errors.Is(err, once.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return &fleet.Error{Code: fleet.CodeUpstreamTimeout, Message: fmt.Sprintf("1NCE did not answer %s in time", what)}
	case errors.Is(err, once.ErrInvalidInput):
		return &fleet.Error{Code: fleet.CodeInvalid, Message: err.Error()}
	case errors.As(err, &ae):
		fe = &fleet.Error{UpstreamCode: ae.Code, UpstreamRequestID: ae.RequestID, Message: ae.Message}
		switch {
		case ae.Status == http.StatusNotFound:
			fe.Code = fleet.CodeNotFound
		case ae.Status == http.StatusConflict:
			fe.Code = fleet.CodeConflict
		case ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnprocessableEntity:
			fe.Code = fleet.CodeUpstreamRejected
		default:
			fe.Code, fe.Message = fleet.CodeUpstream, fmt.Sprintf("1NCE failed %s (HTTP %d): %s", what, ae.Status, ae.Message)
		}
		return fe
	}
	return &fleet.Error{Code: fleet.CodeUpstream, Message: fmt.Sprintf("1NCE could not be reached for %s", what)}
}

// degraded reports whether a read failed because 1NCE is unavailable right now (down, slow,
// rate limited, not configured), so a mirrored or cached answer may stand in, marked stale.
func degraded(err error) bool {
	switch fleet.ErrorCode(err) {
	case fleet.CodeUnavailable, fleet.CodeUpstream, fleet.CodeUpstreamTimeout, fleet.CodeUpstreamAuth:
		return true
	}
	return false
}
