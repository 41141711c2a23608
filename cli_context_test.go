package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/internal/cdkcontext"
	"crossregionapi/internal/cdktest"
)

// The pinned CDK CLI and `go run .` make the same stacks from the same
// ~/.cdk.json, cdk.context.json, cdk.json and -c values: the app reads the
// files itself outside the CLI, so it must merge them in the CLI's order
// (cdk.json over cdk.context.json over ~/.cdk.json, -c over all) and read
// -c as the CLI does. Both run in a copy of the module, with its own
// cdk.json and cdk.context.json, since both read them from the working
// directory and `go run .` must run in the module root: one synth and one
// go run.
//
// Both run with the CLI's defaults, which add path and asset metadata and
// version reporting: `go run .` adds the context the CLI derives from its
// settings, so even the API's Deployment, whose logical id CDK derives from
// the API's rendered resources (path metadata included), has one id.
func TestCLIAndGoRunMergeContextAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CDK CLI and go run")
	}
	// Its work is in other processes: it runs beside this binary's other
	// such tests, on the other core.
	t.Parallel()
	cdk := pinnedCDK(t)
	proj, home := t.TempDir(), t.TempDir()
	copyModuleSource(t, ".", proj)

	// Every source disagrees about stageName; each other key shows one
	// step of the order. cdk.json keeps all the project's other settings.
	var project map[string]any
	raw, err := os.ReadFile(cdkcontext.ProjectConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	projectCtx := project["context"].(map[string]any)
	projectCtx["stageName"] = "v1"
	projectCtx["logRetentionDays"] = 60 // beats cdk.context.json's and ~/.cdk.json's
	projectCtx["clientMaxAttempts"] = 3 // loses to -c
	delete(projectCtx, "throttleRateLimit")
	delete(projectCtx, "throttleBurstLimit")
	writeJSONFile(t, filepath.Join(proj, cdkcontext.ProjectConfig), project)
	writeJSONFile(t, filepath.Join(proj, cdkcontext.ProjectContext), map[string]any{
		"stageName": "v9", "logRetentionDays": 90, "clientMaxAttempts": 4,
		"throttleRateLimit": 7, // beats ~/.cdk.json's
	})
	writeJSONFile(t, filepath.Join(home, ".cdk.json"), map[string]any{"context": map[string]any{
		"stageName": "home", "logRetentionDays": 7, "throttleRateLimit": 3,
		"throttleBurstLimit": 9, // from nowhere else
	}})
	env := envWithoutAWS(t, home)

	cases := []struct {
		name        string
		args        []string
		stage       string
		maxAttempts string
		warning     string
	}{
		// One run shows every step: the CLI warns about a -c value without
		// '=' and ignores it, so cdk.json's stageName beats cdk.context.json's
		// and ~/.cdk.json's; -c's clientMaxAttempts beats cdk.json's.
		{"files and -c disagree, -c key without =", []string{"-c", "stageName", "--context", "clientMaxAttempts=5"}, "v1", "5",
			"Context argument is not an assignment (key=value): stageName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cliOut := t.TempDir()
			cli := exec.Command(cdk, append([]string{"synth", "--no-lookups", "--quiet", "--no-notices",
				"--output", cliOut}, tc.args...)...)
			cli.Dir, cli.Env = proj, env
			cliMessages := runForMessages(t, cli)

			goRunOut := filepath.Join(proj, "cdk.out")
			if err := os.RemoveAll(goRunOut); err != nil {
				t.Fatal(err)
			}
			goRun := exec.Command("go", append([]string{"run", "."}, tc.args...)...)
			goRun.Dir, goRun.Env = proj, env
			goRunMessages := runForMessages(t, goRun)

			if tc.warning != "" {
				for who, messages := range map[string]string{"cdk synth": cliMessages, "go run .": goRunMessages} {
					if !strings.Contains(messages, tc.warning) {
						t.Errorf("%s: output lacks %q:\n%s", who, tc.warning, messages)
					}
				}
			}
			cliTemplates, goRunTemplates := assemblyTemplates(t, cliOut), assemblyTemplates(t, goRunOut)
			if diff := cmp.Diff(slices.Sorted(maps.Keys(cliTemplates)), slices.Sorted(maps.Keys(goRunTemplates))); diff != "" {
				t.Fatalf("templates (-cdk synth +go run .):\n%s", diff)
			}
			for name, want := range cliTemplates {
				if diff := templateDiff(want, goRunTemplates[name]); diff != "" {
					t.Errorf("%s (-cdk synth +go run .):\n%s", name, diff)
				}
			}

			// And both used the values the CLI's order picks.
			api := cliTemplates["CrossRegionApi-Api.template.json"]
			for _, stage := range cdktest.Resources(api, "AWS::ApiGateway::Stage") {
				props := stage["Properties"].(map[string]any)
				if props["StageName"] != tc.stage {
					t.Errorf("stage name: got %v, want %s", props["StageName"], tc.stage)
				}
				got := props["MethodSettings"].([]any)[0].(map[string]any)
				if got["ThrottlingRateLimit"] != 7.0 || got["ThrottlingBurstLimit"] != 9.0 {
					t.Errorf("throttling: got rate %v, burst %v; want 7 (cdk.context.json) and 9 (~/.cdk.json)",
						got["ThrottlingRateLimit"], got["ThrottlingBurstLimit"])
				}
			}
			for id, lg := range cdktest.Resources(api, "AWS::Logs::LogGroup") {
				if days := lg["Properties"].(map[string]any)["RetentionInDays"]; days != 60.0 {
					t.Errorf("log group %s: retention %v days, want 60 (cdk.json)", id, days)
				}
			}
			client := cliTemplates["CrossRegionApi-Client.template.json"]
			var maxAttempts []any
			for _, fn := range cdktest.Resources(client, "AWS::Lambda::Function") {
				env, _ := fn["Properties"].(map[string]any)["Environment"].(map[string]any)
				vars, _ := env["Variables"].(map[string]any)
				if v, ok := vars["MAX_ATTEMPTS"]; ok {
					maxAttempts = append(maxAttempts, v)
				}
			}
			if len(maxAttempts) != 1 || maxAttempts[0] != tc.maxAttempts {
				t.Errorf("client MAX_ATTEMPTS: got %v, want [%s]", maxAttempts, tc.maxAttempts)
			}
		})
	}
}

// copyModuleSource copies what `go run .` builds from the module at src into
// dst: everything but version control, installed tools, synthesized output,
// tests, and the context files, which each test writes for itself.
func copyModuleSource(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "cdk.out") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, "_test.go") ||
			rel == cdkcontext.ProjectConfig || rel == cdkcontext.ProjectContext {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), raw, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copying the module: %v", err)
	}
}

// envWithoutAWS is an environment with no AWS credentials or configuration, no
// CDK variables and home as the home directory, for the CLI and the app
// alike. Go's and jsii's caches stay where they are (home would otherwise
// move them), so that neither compiles nor unpacks everything again; the
// user cache, where the function's build goes, is a fresh one.
func envWithoutAWS(t *testing.T, home string) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOENV", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	goVars := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(goVars) != 4 {
		t.Fatalf("go env: unexpected output %q", out)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "CDK_") && !strings.HasPrefix(kv, "HOME=") &&
			!strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			env = append(env, kv)
		}
	}
	if os.Getenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT") == "" {
		if realHome, err := os.UserHomeDir(); err == nil {
			env = append(env, "JSII_RUNTIME_PACKAGE_CACHE_ROOT="+filepath.Join(realHome, ".cache", "aws", "jsii", "package-cache"))
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	return append(env, "HOME="+home, "XDG_CACHE_HOME="+t.TempDir(),
		"GOENV="+goVars[0], "GOCACHE="+goVars[1], "GOMODCACHE="+goVars[2], "GOPATH="+goVars[3],
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_EC2_METADATA_DISABLED=true",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
}

// runForMessages runs cmd, fails the test if it fails, and returns what it
// printed on stdout and stderr together: the CDK CLI sends its warnings to
// stderr, but to stdout when it detects CI (CI=true or --ci: "If CI=true
// then logs will be sent to stdout instead of stderr", `cdk --help`).
func runForMessages(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return out.String()
}

// assemblyTemplates returns the templates of a cloud assembly directory, parsed,
// by file name.
func assemblyTemplates(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no templates in %s (%v)", dir, err)
	}
	out := map[string]map[string]any{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var tmpl map[string]any
		if err := json.Unmarshal(raw, &tmpl); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = tmpl
	}
	return out
}

// templateDiff compares two templates resource by resource, so that a
// difference shows as the resources that differ rather than as the whole
// template.
func templateDiff(want, got map[string]any) string {
	var b strings.Builder
	wantRes, _ := want["Resources"].(map[string]any)
	gotRes, _ := got["Resources"].(map[string]any)
	for _, id := range slices.Sorted(maps.Keys(wantRes)) {
		if diff := cmp.Diff(wantRes[id], gotRes[id]); diff != "" {
			fmt.Fprintf(&b, "resource %s:\n%s", id, diff)
		}
	}
	for id := range gotRes {
		if _, ok := wantRes[id]; !ok {
			fmt.Fprintf(&b, "resource %s: only in the second\n", id)
		}
	}
	rest := func(tmpl map[string]any) map[string]any {
		out := maps.Clone(tmpl)
		delete(out, "Resources")
		return out
	}
	b.WriteString(cmp.Diff(rest(want), rest(got)))
	return b.String()
}

// writeJSONFile writes v to path as JSON.
func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
