package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"go.yaml.in/yaml/v3"
)

// maxKubeconfig caps the kubeconfig file kube setup reads.
const maxKubeconfig = 4 << 20

// defaultKubeconfig is the file kubectl reads first: the first entry of
// KUBECONFIG, else ~/.kube/config.
func defaultKubeconfig(getenv func(string) string) (string, error) {
	for _, p := range filepath.SplitList(getenv("KUBECONFIG")) {
		if p != "" {
			return p, nil
		}
	}
	home, err := userHomeDir(runtime.GOOS, getenv)
	if err != nil {
		return "", fmt.Errorf("no home directory to find ~/.kube/config in (%v); give --kubeconfig PATH", err)
	}
	return filepath.Join(home, ".kube", "config"), nil
}

// mergeKubeUser returns the kubeconfig doc with the users: entry of
// entry (a document with one user, as kubeUserEntry writes) in it: it
// replaces a user of the same name, or is appended; everything else is
// kept. An empty doc becomes a new kubeconfig.
func mergeKubeUser(doc []byte, entry string) ([]byte, error) {
	var add yaml.Node
	if err := yaml.Unmarshal([]byte(entry), &add); err != nil {
		return nil, err
	}
	newUser := add.Content[0].Content[1].Content[0] // users: [ {name: ...} ]
	name := mapValue(newUser, "name").Value

	if len(bytes.TrimSpace(doc)) == 0 {
		doc = []byte("apiVersion: v1\nkind: Config\n")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("it is not a YAML mapping (a kubeconfig has apiVersion, kind, clusters, users...)")
	}
	top := root.Content[0]
	users := mapValue(top, "users")
	switch {
	case users == nil:
		users = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "users"}, users)
	case users.Tag == "!!null":
		*users = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	case users.Kind != yaml.SequenceNode:
		return nil, errors.New("its users: is not a list")
	}
	replaced := false
	for i, u := range users.Content {
		if n := mapValue(u, "name"); n != nil && n.Value == name {
			users.Content[i] = newUser
			replaced = true
		}
	}
	if !replaced {
		users.Content = append(users.Content, newUser)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// mapValue is the value of key in mapping node m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// writeKubeUser merges entry into the kubeconfig at path, atomically; a
// file it cannot read or parse is left as it is.
func writeKubeUser(path, entry string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading the kubeconfig %s: %w", path, err)
	}
	if len(data) > maxKubeconfig {
		return fmt.Errorf("the kubeconfig %s is over %d MiB; it was left as it is: give another --kubeconfig, or add the entry by hand (kube setup without --write prints it)", path, maxKubeconfig>>20)
	}
	out, err := mergeKubeUser(data, entry)
	if err != nil {
		return fmt.Errorf("the kubeconfig %s cannot be read as YAML (%v); it was left as it is: fix it, or give another --kubeconfig", path, err)
	}
	if err := writeFileAtomic(path, out, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	return nil
}
