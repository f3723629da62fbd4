package devserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkLoginAndRefresh measures one whole device login (authorization,
// approval, token) plus one refresh, through the handler.
func BenchmarkLoginAndRefresh(b *testing.B) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	call := func(u string, form url.Values) map[string]any {
		req := httptest.NewRequest("POST", u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		m := map[string]any{}
		json.Unmarshal(w.Body.Bytes(), &m)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %v", u, w.Code, m)
		}
		return m
	}
	e := s.Endpoints()
	cid := url.Values{"client_id": {s.ClientID()}}
	for b.Loop() {
		da := call(e.DeviceAuthURL, cid)
		if err := s.Approve(da["user_code"].(string), "alice"); err != nil {
			b.Fatal(err)
		}
		tok := call(e.TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {grantDeviceCode}, "device_code": {da["device_code"].(string)}})
		call(e.TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	}
}
