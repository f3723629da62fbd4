package devserver

import (
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxFormBytes caps a request body.
const maxFormBytes = 64 << 10

const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// routes builds the server's handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.handleMetadata)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.jwks()) })
	mux.HandleFunc("POST /oauth/device_authorization", s.handleDeviceAuthorization)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("POST /oauth/revoke", s.handleRevoke)
	mux.HandleFunc("POST /oauth/introspect", s.handleIntrospect)
	mux.HandleFunc("GET /userinfo", s.handleUserInfo)
	mux.HandleFunc("POST /userinfo", s.handleUserInfo)
	mux.HandleFunc("GET /authorize", s.handleAuthorize)
	mux.HandleFunc("POST /authorize", s.handleAuthorize)
	mux.HandleFunc("POST /authorize/decision", s.handleConsent)
	mux.HandleFunc("GET /device", s.handleDevicePage)
	mux.HandleFunc("POST /device", s.handleDeviceForm)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/device", http.StatusSeeOther)
	})
	return s.common(mux)
}

// common sets headers every answer carries and refuses requests addressed to
// another host (a DNS-rebinding page cannot drive the verification form).
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !s.hostAllowed(r.Host) {
			http.Error(w, "misdirected request: this dev server answers only to "+s.host, http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(host string) bool {
	if strings.EqualFold(host, s.host) {
		return true
	}
	h, port, err := net.SplitHostPort(host)
	_, myPort, _ := net.SplitHostPort(s.host)
	return err == nil && port == myPort && strings.EqualFold(h, "localhost")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="authdeck dev server"`)
	}
	writeJSON(w, e.status, e)
}

// metadata is the RFC 8414 / OpenID Connect Discovery document.
func (s *Server) metadata() map[string]any {
	e := s.Endpoints()
	return map[string]any{
		"issuer":                                         e.Issuer,
		"authorization_endpoint":                         e.AuthURL,
		"device_authorization_endpoint":                  e.DeviceAuthURL,
		"token_endpoint":                                 e.TokenURL,
		"revocation_endpoint":                            e.RevocationURL,
		"introspection_endpoint":                         e.IntrospectionURL,
		"userinfo_endpoint":                              e.UserInfoURL,
		"jwks_uri":                                       s.issuer + "/jwks",
		"scopes_supported":                               DefaultScopes,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{grantAuthorizationCode, grantDeviceCode, "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
		"prompt_values_supported":                        []string{"none", "consent", "login", "select_account"},
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"revocation_endpoint_auth_methods_supported":     []string{"none"},
		"introspection_endpoint_auth_methods_supported":  []string{"none"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"ES256"},
		"claims_supported":                               []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "preferred_username", "email", "email_verified"},
	}
}

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.metadata())
}

// parseForm reads an application/x-www-form-urlencoded body of at most
// maxFormBytes, refusing repeated parameters (RFC 6749 §3.1).
func parseForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("send the parameters as application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errInvalidRequest(fmt.Sprintf("the request body is malformed or larger than %d KiB", maxFormBytes>>10))
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, errInvalidRequest(fmt.Sprintf("parameter %q was sent more than once", k))
		}
	}
	return r.PostForm, nil
}

// client authenticates the public client: client_id in the body or as the
// user name of HTTP Basic with an empty password. No secret is accepted.
func (s *Server) client(w http.ResponseWriter, r *http.Request, form url.Values) (string, *oauthError) {
	id := form.Get("client_id")
	if u, p, ok := r.BasicAuth(); ok {
		if uu, err := url.QueryUnescape(u); err == nil {
			u = uu
		}
		if id != "" && id != u {
			return "", errInvalidRequest("client_id in the body differs from the one in the Authorization header")
		}
		id = u
		if p != "" {
			return "", &oauthError{"invalid_client", "this is a public client: it has no secret, send client_id only", http.StatusUnauthorized}
		}
	} else if form.Get("client_secret") != "" {
		return "", &oauthError{"invalid_client", "this is a public client: it has no secret, send client_id only", http.StatusUnauthorized}
	}
	switch {
	case id == "":
		return "", &oauthError{"invalid_client", "client_id is missing", http.StatusUnauthorized}
	case id != s.opt.ClientID:
		return "", &oauthError{"invalid_client", fmt.Sprintf("unknown client %q; this server's client id is %q", id, s.opt.ClientID), http.StatusUnauthorized}
	}
	return id, nil
}

func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	form, oe := parseForm(w, r)
	if oe != nil {
		writeError(w, oe)
		return
	}
	clientID, oe := s.client(w, r, form)
	if oe != nil {
		writeError(w, oe)
		return
	}
	scope, oe := parseScope(form.Get("scope"))
	if oe != nil {
		writeError(w, oe)
		return
	}
	dc, oe := s.newDeviceCode(clientID, scope)
	if oe != nil {
		writeError(w, oe)
		return
	}
	shown := formatUserCode(dc.user)
	s.log.Info("device code issued", "client_id", clientID, "scope", strings.Join(scope, " "), "expires_in", int64(s.opt.CodeTTL/time.Second))
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               dc.device,
		"user_code":                 shown,
		"verification_uri":          s.DeviceURL(),
		"verification_uri_complete": s.DeviceURL() + "?user_code=" + url.QueryEscape(shown),
		"expires_in":                int64(s.opt.CodeTTL / time.Second),
		"interval":                  int64(s.opt.Interval / time.Second),
	})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	form, oe := parseForm(w, r)
	if oe != nil {
		writeError(w, oe)
		return
	}
	clientID, oe := s.client(w, r, form)
	if oe != nil {
		writeError(w, oe)
		return
	}
	var ts *tokenSet
	switch gt := form.Get("grant_type"); gt {
	case grantDeviceCode:
		dc := form.Get("device_code")
		if dc == "" {
			writeError(w, errInvalidRequest("device_code is missing"))
			return
		}
		ts, oe = s.pollDevice(clientID, dc)
		if oe != nil {
			s.log.Debug("device poll", "client_id", clientID, "result", oe.Code)
		}
	case "refresh_token":
		rt := form.Get("refresh_token")
		if rt == "" {
			writeError(w, errInvalidRequest("refresh_token is missing"))
			return
		}
		ts, oe = s.refresh(clientID, rt, form.Get("scope"))
	case grantAuthorizationCode:
		code, redirectURI, verifier := form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier")
		switch {
		case code == "":
			oe = errInvalidRequest("code is missing")
		case redirectURI == "":
			oe = errInvalidRequest("redirect_uri is missing; send the one of the authorization request")
		case verifier == "":
			oe = errInvalidRequest("code_verifier is missing; PKCE is required")
		case !validVerifier(verifier):
			oe = errInvalidRequest("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)")
		default:
			ts, oe = s.redeemCode(clientID, code, redirectURI, verifier)
		}
	case "":
		oe = errInvalidRequest("grant_type is missing")
	default:
		oe = &oauthError{"unsupported_grant_type", fmt.Sprintf("grant type %q is not supported; use %s, %q or refresh_token", gt, grantAuthorizationCode, grantDeviceCode), http.StatusBadRequest}
	}
	if oe != nil {
		writeError(w, oe)
		return
	}
	s.log.Info("tokens issued", "client_id", clientID, "grant_type", form.Get("grant_type"))
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	form, oe := parseForm(w, r)
	if oe != nil {
		writeError(w, oe)
		return
	}
	clientID, oe := s.client(w, r, form)
	if oe != nil {
		writeError(w, oe)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeError(w, errInvalidRequest("token is missing"))
		return
	}
	// token_type_hint is only a hint (RFC 7009 §2.1): every kind is looked up.
	if oe := s.revoke(clientID, tok); oe != nil {
		writeError(w, oe)
		return
	}
	s.log.Info("token revoked", "client_id", clientID)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	form, oe := parseForm(w, r)
	if oe != nil {
		writeError(w, oe)
		return
	}
	clientID, oe := s.client(w, r, form)
	if oe != nil {
		writeError(w, oe)
		return
	}
	raw := form.Get("token")
	if raw == "" {
		writeError(w, errInvalidRequest("token is missing"))
		return
	}
	t := s.activeToken(raw)
	if t == nil || t.grant.clientID != clientID {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	resp := map[string]any{
		"active":    true,
		"scope":     strings.Join(t.grant.scope, " "),
		"client_id": t.grant.clientID,
		"username":  t.grant.login,
		"sub":       t.grant.login,
		"aud":       t.grant.clientID,
		"iss":       s.issuer,
		"iat":       t.issued.Unix(),
		"exp":       t.expires.Unix(),
	}
	if t.kind == kindAccess {
		resp["token_type"] = "Bearer"
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	const realm = `Bearer realm="authdeck dev server"`
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		w.Header().Set("WWW-Authenticate", realm)
		writeJSON(w, http.StatusUnauthorized, &oauthError{Code: "invalid_request", Description: "send the access token as Authorization: Bearer TOKEN"})
		return
	}
	t := s.activeToken(strings.TrimSpace(tok))
	if t == nil || t.kind != kindAccess {
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token", error_description="the access token is invalid, expired or revoked"`)
		writeJSON(w, http.StatusUnauthorized, &oauthError{Code: "invalid_token", Description: "the access token is invalid, expired or revoked"})
		return
	}
	if !slices.Contains(t.grant.scope, "openid") {
		w.Header().Set("WWW-Authenticate", realm+`, error="insufficient_scope", scope="openid"`)
		writeJSON(w, http.StatusForbidden, &oauthError{Code: "insufficient_scope", Description: "userinfo needs the openid scope"})
		return
	}
	writeJSON(w, http.StatusOK, s.claims(t.grant.login, t.grant.scope))
}
