package auth

import "testing"

// TestSignInWithBrowser: the browser sign-in when asked, or when the
// server has an authorization endpoint but no device flow; otherwise the
// device flow.
func TestSignInWithBrowser(t *testing.T) {
	both := Endpoints{DeviceAuthURL: "https://id/device", AuthURL: "https://id/auth", TokenURL: "https://id/token"}
	deviceOnly := Endpoints{DeviceAuthURL: "https://id/device", TokenURL: "https://id/token"}
	webOnly := Endpoints{AuthURL: "https://id/auth", TokenURL: "https://id/token"}
	for _, tc := range []struct {
		name  string
		e     Endpoints
		asked bool
		want  bool
	}{
		{"both, not asked", both, false, false},
		{"both, asked", both, true, true},
		{"device only", deviceOnly, false, false},
		{"web only", webOnly, false, true},
		{"no token endpoint", Endpoints{AuthURL: "https://id/auth"}, false, false},
	} {
		if got := tc.e.SignInWithBrowser(tc.asked); got != tc.want {
			t.Errorf("%s: SignInWithBrowser(%v) = %v, want %v", tc.name, tc.asked, got, tc.want)
		}
	}
}
