package once

import "context"

// Limits returns the account's self-set monthly limits for data, MT-SMS and MO-SMS (v1 only).
func (c *Client) Limits(ctx context.Context) (Limits, error) { return c.V1().Limits(ctx) }

// SetLimits sets the account's monthly limits by the ids SelectableLimits lists (v1 only).
func (c *Client) SetLimits(ctx context.Context, r SetLimitsRequest) (Accepted, error) {
	return c.V1().SetLimits(ctx, r)
}

// SelectableLimits lists the limit options of one service (v1 only).
func (c *Client) SelectableLimits(ctx context.Context, s LimitService) (Limits, error) {
	return c.V1().SelectableLimits(ctx, s)
}

// Extension extends the lifetime of SIMs and renews their quotas (v1 only; costs money, never
// re-sent; the result reports the outcome as TopUp's does). An empty payment method lets 1NCE
// use bank transfer.
func (c *Client) Extension(ctx context.Context, r ExtensionRequest) (ExtensionResult, error) {
	return c.V1().Extension(ctx, r)
}

// Transfer starts moving SIMs to another (sub-)organisation (v1 only; never re-sent).
func (c *Client) Transfer(ctx context.Context, t SIMTransfer) (Accepted, error) {
	return c.V1().Transfer(ctx, t)
}
