// Package cdkcontext reads the context files the CDK CLI merges before it
// runs the app, so that the app can tell the project's keys from those of
// files it does not own, and so that tools outside the CLI (make invoke, the
// end-to-end test) see the configuration the app sees.
package cdkcontext

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"crossregionapi/config"
)

// The files, in the order the CDK CLI merges them: a later file wins.
const (
	UserDefaults   = "~/.cdk.json"      // the user's defaults for every CDK app
	ProjectConfig  = "cdk.json"         // the project's own settings
	ProjectContext = "cdk.context.json" // written by the CDK CLI itself
)

// Files is what the three files hold.
type Files struct {
	// Merged is their context, merged as the CDK CLI merges it.
	Merged map[string]any
	// Sources says which file each key came from.
	Sources config.Sources
}

// Read reads the files of the project in dir and of the user whose home is
// home ("" skips ~/.cdk.json). A missing file contributes nothing; a file
// that is not JSON is an error naming it.
func Read(dir, home string) (Files, error) {
	f := Files{Merged: map[string]any{}, Sources: config.Sources{Project: map[string]bool{}, Foreign: map[string]string{}}}
	if home != "" {
		user, err := contextOf(filepath.Join(home, ".cdk.json"), true)
		if err != nil {
			return Files{}, err
		}
		for k := range user {
			f.Sources.Foreign[k] = UserDefaults
		}
		maps.Copy(f.Merged, user)
	}
	project, err := contextOf(filepath.Join(dir, ProjectConfig), true)
	if err != nil {
		return Files{}, err
	}
	for k := range project {
		f.Sources.Project[k] = true
	}
	maps.Copy(f.Merged, project)
	cached, err := contextOf(filepath.Join(dir, ProjectContext), false)
	if err != nil {
		return Files{}, err
	}
	for k := range cached {
		f.Sources.Foreign[k] = ProjectContext
	}
	maps.Copy(f.Merged, cached)
	return f, nil
}

// contextOf returns the context of one file: its "context" object, or the
// whole file for cdk.context.json.
func contextOf(path string, underContext bool) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %w", path, err)
	}
	if !underContext {
		return doc, nil
	}
	ctx, _ := doc["context"].(map[string]any)
	return ctx, nil
}

// ParseArgs reads `-c key=value` and `--context key=value` pairs, as the
// CDK CLI takes them, and refuses anything else.
func ParseArgs(args []string) (map[string]any, error) {
	out := map[string]any{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var pair string
		switch {
		case a == "-c" || a == "--context":
			if i+1 == len(args) {
				return nil, fmt.Errorf("%s needs key=value after it", a)
			}
			i++
			pair = args[i]
		case strings.HasPrefix(a, "--context="):
			pair = strings.TrimPrefix(a, "--context=")
		default:
			return nil, fmt.Errorf("unexpected argument %q: only -c key=value is accepted", a)
		}
		key, value, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("context %q is not key=value", pair)
		}
		out[key] = value
	}
	return out, nil
}
