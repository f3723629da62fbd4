package tui

// Action is one of the accounts screen's actions, which a host can hide
// (Options.Hide) when it does not offer it.
type Action string

// The accounts screen's actions.
const (
	ActionUse       Action = "use"        // enter: make the profile active
	ActionLogin     Action = "login"      // l: log in
	ActionWhoami    Action = "whoami"     // w: the signed-in account
	ActionToken     Action = "token"      // t: show and copy the token
	ActionLogout    Action = "logout"     // o: forget the tokens here
	ActionRevoke    Action = "revoke"     // r: revoke at the server
	ActionAddServer Action = "add-server" // n: add a server
	ActionRemove    Action = "remove"     // d: remove a profile or server
)

// hide disables the bindings of the actions in hidden.
func (k *accountKeys) hide(hidden []Action) {
	for _, a := range hidden {
		switch a {
		case ActionUse:
			k.Use.SetEnabled(false)
		case ActionLogin:
			k.Login.SetEnabled(false)
		case ActionWhoami:
			k.Whoami.SetEnabled(false)
		case ActionToken:
			k.Token.SetEnabled(false)
		case ActionLogout:
			k.Logout.SetEnabled(false)
		case ActionRevoke:
			k.Revoke.SetEnabled(false)
		case ActionAddServer:
			k.Add.SetEnabled(false)
		case ActionRemove:
			k.Remove.SetEnabled(false)
		}
	}
}
