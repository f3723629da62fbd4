// Command floor is the baseline of bench/token.sh: a process that only reads
// authdeck's credentials.json, decodes it and prints the first access token.
// `authdeck token` with file storage cannot be cheaper than this.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := os.Getenv("AUTHDECK_CONFIG_DIR")
	data, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var doc struct {
		Secrets map[string]struct {
			AccessToken string `json:"a"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, s := range doc.Secrets {
		fmt.Println(s.AccessToken)
		return
	}
	os.Exit(1)
}
