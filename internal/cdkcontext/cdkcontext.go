// Package cdkcontext reads the context files the CDK CLI merges before it
// runs the app, so that the app can tell the project's keys from those of
// files it does not own, and so that tools outside the CLI (make invoke, the
// end-to-end test, `go run .`) see the configuration the app sees.
//
// It follows the pinned CDK CLI (node_modules/aws-cdk 2.1148.1, bundled in
// lib/index.js), which a user expects `go run .` to agree with:
//
//   - Configuration.loadConfigFiles (lib/cli/user-configuration.ts) builds a
//     Context from the bags [-c values, cdk.json "context",
//     cdk.context.json, ~/.cdk.json "context"], highest precedence first;
//   - Context.all (@aws-cdk/toolkit-lib lib/api/context.ts) merges them
//     from the last to the first with deepMerge, so objects merge key by
//     key, anything else (lists too) replaces, and the keys __proto__,
//     constructor and prototype are dropped at any depth;
//   - parseStringContextListToObject (lib/cli/user-configuration.ts) reads
//     each -c value with assignment.split(/=(.*)/, 2).
package cdkcontext

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"crossregionapi/internal/jsonpos"

	"crossregionapi/config"
)

// The files the CDK CLI merges. Their precedence is not their order here:
// cdk.json wins over cdk.context.json, which wins over ~/.cdk.json (see
// Read).
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
//
// The CLI's precedence, lowest first, is ~/.cdk.json, cdk.context.json,
// cdk.json, then -c: the project's committed settings beat what the CLI
// cached, so a value in cdk.json cannot be silently overridden by an old
// cdk.context.json. The -c values are the caller's to apply on top; being
// strings, they simply replace.
func Read(dir, home string) (Files, error) {
	f := Files{Merged: map[string]any{}, Sources: config.Sources{Project: map[string]bool{}, Foreign: map[string]string{}}}
	var user map[string]any
	if home != "" {
		var err error
		if user, err = contextOf(filepath.Join(home, ".cdk.json"), true); err != nil {
			return Files{}, err
		}
	}
	project, err := contextOf(filepath.Join(dir, ProjectConfig), true)
	if err != nil {
		return Files{}, err
	}
	cached, err := contextOf(filepath.Join(dir, ProjectContext), false)
	if err != nil {
		return Files{}, err
	}
	// Lowest precedence first, as Context.all merges its bags.
	for _, layer := range []struct {
		file string
		ctx  map[string]any
	}{{UserDefaults, user}, {ProjectContext, cached}, {ProjectConfig, project}} {
		for k := range layer.ctx {
			if droppedKey(k) {
				continue
			}
			if layer.file == ProjectConfig {
				f.Sources.Project[k] = true
			} else {
				f.Sources.Foreign[k] = layer.file
			}
		}
		mergeInto(f.Merged, layer.ctx)
	}
	return f, nil
}

// mergeInto merges src into dst as the CLI's deepMerge does: an object
// merges into an object of dst (a fresh one if dst holds something else),
// any other value replaces. dst's objects are its own, so that merging a
// later file into them never writes into an earlier one.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if droppedKey(k) {
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			dst[k] = v
			continue
		}
		sub, ok := dst[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
			dst[k] = sub
		}
		mergeInto(sub, obj)
	}
}

// droppedKey reports whether the CLI drops key: its deepMerge skips the
// names that could reach a JavaScript prototype, so the app never sees them.
func droppedKey(key string) bool {
	return key == "__proto__" || key == "constructor" || key == "prototype"
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
		return nil, fmt.Errorf("%s is not a JSON object (%s); fix it or remove it", path, jsonpos.Describe(raw, err))
	}
	if !underContext {
		return doc, nil
	}
	ctx, _ := doc["context"].(map[string]any)
	return ctx, nil
}

// lineTerminators are the characters JavaScript's '.' does not match.
const lineTerminators = "\n\r\u2028\u2029"

// ParseArgs is ParseContextArgs for callers that do not report the values
// it ignores.
func ParseArgs(args []string) (map[string]any, error) {
	ctx, _, err := ParseContextArgs(args)
	return ctx, err
}

// ParseContextArgs reads `-c key=value`, `-c=key=value`, `--context
// key=value` and `--context=key=value` as the CDK CLI reads them, so that
// the same command line means the same app with or without the CLI, and
// refuses any other argument. A later value of a key wins.
//
// As in the CLI's parseStringContextListToObject, the key is everything
// before the first '=' (even ""), and the value everything after it up to
// the first line break; a value with no '=' at all is not an error but is
// ignored with the CLI's warning, which ParseContextArgs returns. A key
// starting with "aws:" and more is reserved to the CDK and refused, and
// __proto__, constructor and prototype are dropped, as the CLI drops them.
// A missing value, or one starting with '-', is refused: the CLI's
// argument parser would take it for an option.
func ParseContextArgs(args []string) (ctx map[string]any, warnings []string, err error) {
	ctx = map[string]any{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var assignment string
		switch {
		case a == "-c" || a == "--context":
			if i+1 == len(args) || strings.HasPrefix(args[i+1], "-") {
				return nil, nil, fmt.Errorf("%s needs key=value after it", a)
			}
			i++
			assignment = args[i]
		case strings.HasPrefix(a, "--context="), strings.HasPrefix(a, "-c="):
			_, assignment, _ = strings.Cut(a, "=")
			if assignment == "" {
				return nil, nil, fmt.Errorf("%s needs key=value after it", a)
			}
		default:
			return nil, nil, fmt.Errorf("unexpected argument %q: only -c key=value is accepted", a)
		}
		key, value, ok := strings.Cut(assignment, "=")
		if !ok {
			warnings = append(warnings, "Context argument is not an assignment (key=value): "+assignment)
			continue
		}
		// JavaScript's '.' in /=(.*)/ stops at a line terminator.
		if end := strings.IndexAny(value, lineTerminators); end >= 0 {
			value = value[:end]
		}
		// The CLI's test, /^aws:.+/, needs a character other than a line
		// terminator after the prefix.
		if rest, reserved := strings.CutPrefix(key, "aws:"); reserved && rest != "" && strings.IndexAny(rest, lineTerminators) != 0 {
			return nil, nil, fmt.Errorf("context key %q: keys prefixed with 'aws:' are reserved to the CDK", key)
		}
		if droppedKey(key) {
			continue
		}
		ctx[key] = value
	}
	return ctx, warnings, nil
}

// SettingsContext is the context the CDK CLI adds from its settings before
// it runs the app (contextFromSettings in the pinned CLI's lib/index.js):
// path metadata, asset metadata and version reporting on unless a settings
// file turns them off ("pathMetadata": false, and so on, at the top level
// of cdk.json or ~/.cdk.json, cdk.json winning), every stack bundled, and
// validation errors of policy-validation plugins reported without failing
// the synthesis. `go run .` adds it too, so that its templates are the
// CLI's: path metadata alone changes an API Gateway Deployment's logical
// id, which CDK derives from the API's rendered resources.
func SettingsContext(dir, home string) (map[string]any, error) {
	settings := map[string]any{}
	paths := []string{filepath.Join(dir, ProjectConfig)}
	if home != "" {
		paths = append([]string{filepath.Join(home, ".cdk.json")}, paths...)
	}
	for _, path := range paths {
		doc, err := contextOf(path, false)
		if err != nil {
			return nil, err
		}
		for k, v := range doc {
			settings[k] = v
		}
	}
	on := func(key string) bool {
		v, set := settings[key]
		return !set || v != false
	}
	ctx := map[string]any{
		"aws:cdk:bundling-stacks":                   []any{"**"},
		"@aws-cdk/core:failSynthOnValidationErrors": false,
	}
	if on("pathMetadata") {
		ctx["aws:cdk:enable-path-metadata"] = true
	}
	if on("assetMetadata") {
		ctx["aws:cdk:enable-asset-metadata"] = true
	}
	if on("versionReporting") {
		ctx["aws:cdk:version-reporting"] = true
	} else {
		ctx["aws:cdk:disable-version-reporting"] = true
	}
	if v, set := settings["bundlingStacks"]; set {
		ctx["aws:cdk:bundling-stacks"] = v
	}
	return ctx, nil
}
