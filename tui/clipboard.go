package tui

// clipTool is a clipboard program: the text to copy goes on its stdin,
// never in its arguments (which every user of the machine can read).
type clipTool struct {
	path string
	args []string
}

// chooseClipboard picks the system clipboard program to run, looked up only
// when the user asks to copy (so starting the program never searches PATH):
// wl-copy on Wayland, xclip or xsel on X11, pbcopy (macOS), clip.exe
// (Windows, WSL). Over SSH the system clipboard is the wrong machine's, so
// none is chosen and the caller falls back to OSC 52, which the user's
// terminal applies on their side.
func chooseClipboard(getenv func(string) string, lookPath func(string) (string, error), remote bool) (clipTool, bool) {
	if remote {
		return clipTool{}, false
	}
	candidates := []struct {
		env  string // set when the program can work; "" = always try
		name string
		args []string
	}{
		{"WAYLAND_DISPLAY", "wl-copy", nil},
		{"DISPLAY", "xclip", []string{"-selection", "clipboard"}},
		{"DISPLAY", "xsel", []string{"--clipboard", "--input"}},
		{"", "pbcopy", nil},
		{"", "clip.exe", nil},
	}
	for _, c := range candidates {
		if c.env != "" && (getenv == nil || getenv(c.env) == "") {
			continue
		}
		if p, err := lookPath(c.name); err == nil && p != "" {
			return clipTool{path: p, args: c.args}, true
		}
	}
	return clipTool{}, false
}
