package cmd

import (
	"net/http"

	"github.com/authdeck/authdeck/internal/hostproxy"
	"github.com/authdeck/authdeck/profiles"
)

// managerTransport is the transport of m's HTTP client (the host's, see
// Host.authClient), else Go's default transport with the proxy from m's
// environment (hostproxy.Transport).
func managerTransport(m *profiles.Manager) http.RoundTripper {
	app := m.App()
	if app.HTTPClient != nil && app.HTTPClient.Transport != nil {
		return app.HTTPClient.Transport
	}
	return hostproxy.Transport(app.Getenv)
}
