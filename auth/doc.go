// Package auth speaks the OAuth 2.0 / OpenID Connect protocols a command-line
// sign-in needs: discovery (RFC 8414, OpenID Connect Discovery), the Device
// Authorization Grant (RFC 8628), refresh, token revocation (RFC 7009),
// introspection (RFC 7662) and userinfo.
//
// It is protocol only: it does no disk, keyring or terminal I/O and never
// reads the process environment. Every call takes a context and every HTTP
// request has a timeout and a capped response body. Plain HTTP is refused
// except on loopback.
//
// Tokens are golang.org/x/oauth2 tokens so callers can use oauth2.NewClient.
package auth
