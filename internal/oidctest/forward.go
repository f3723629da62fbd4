package oidctest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// Forward sends the request r, whose body the caller has already read as
// body, on to target and copies the answer back to w: the heart of a
// test's loopback proxy in front of the provider (one that holds a
// request, or fails some, before passing it on). The forwarded request is
// not cancelled with r, so a proxy that held a request still delivers it
// after its client is gone, as a server that had received it would; it is
// bounded at 30 s.
func Forward(t testing.TB, w http.ResponseWriter, r *http.Request, target string, body []byte) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("proxy: %v", err)
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
