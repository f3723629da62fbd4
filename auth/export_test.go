package auth

import (
	"context"
	"time"
)

// SetSleep replaces c's sleep for WaitDevice and the retries of
// StartDevice (tests use a fake clock).
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }
