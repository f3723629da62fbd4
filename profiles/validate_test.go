package profiles

import "testing"

func TestValidators(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"host", validHostname, "login.example.com", true},
		{"host", validHostname, "a", true},
		{"host", validHostname, "-bad.example", false},
		{"host", validHostname, "bad-.example", false},
		{"host", validHostname, "a..b", false},
		{"host", validHostname, "under_score.example", false},
		{"host", validHostname, "", false},
		{"host", validHostname, string(make([]byte, 64)), false},
		{"guid", validGUID, "72f988bf-86f1-41af-91ab-2d7cd011db47", true},
		{"guid", validGUID, "72f988bf-86f1-41af-91ab-2d7cd011db4", false},
		{"guid", validGUID, "72f988bfx86f1-41af-91ab-2d7cd011db47", false},
		{"guid", validGUID, "zzf988bf-86f1-41af-91ab-2d7cd011db47", false},
		{"tenant", validMSTenant, "common", true},
		{"tenant", validMSTenant, "contoso.onmicrosoft.com", true},
		{"tenant", validMSTenant, ".contoso", false},
		{"tenant", validMSTenant, "con/toso", false},
		{"okta", validOktaServer, "default", true},
		{"okta", validOktaServer, "aus1a2b3", true},
		{"okta", validOktaServer, "with-dash", false},
		{"env", validEnvVar, "WORK_TOKEN", true},
		{"env", validEnvVar, "_x1", true},
		{"env", validEnvVar, "1X", false},
		{"env", validEnvVar, "A-B", false},
		{"env", validEnvVar, "", false},
	} {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("%s(%q) = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}
