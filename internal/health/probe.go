package health

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// LocalURL returns the http URL of path on a server listening on addr, as reached from the same
// host: a wildcard or empty host (0.0.0.0, ::, ":8080") becomes loopback. Container health
// checks use it, since the image has no curl and the server listens on every interface.
func LocalURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("health: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

// Probe GETs url and reports an error unless it answers 200. The error carries the status and
// the start of the body (the readiness report names the failing dependencies).
func Probe(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %d: %s", url, res.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
