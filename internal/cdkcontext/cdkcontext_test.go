package cdkcontext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The files merge as the CDK CLI merges them: ~/.cdk.json lowest, then
// cdk.context.json, then cdk.json, objects key by key, and each key keeps
// where it came from.
func TestRead(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	write(t, filepath.Join(home, ".cdk.json"), `{"context": {"stageName": "user", "teamFlag": true, "logRetentionDays": 7, "obj": {"a": 1, "b": 1}, "constructor": 1}}`)
	write(t, filepath.Join(dir, "cdk.json"), `{"app": "go run .", "context": {"stageName": "project", "apiRegion": "eu-west-1", "obj": {"b": 2, "c": 2, "prototype": 2}}}`)
	write(t, filepath.Join(dir, "cdk.context.json"), `{"apiRegion": "eu-central-1", "logRetentionDays": 14, "acknowledged-issue-numbers": [1], "obj": {"c": 3, "d": [3]}}`)
	f, err := Read(dir, home)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"stageName": "project", "teamFlag": true, "apiRegion": "eu-west-1", "logRetentionDays": float64(14),
		"acknowledged-issue-numbers": []any{float64(1)},
		"obj":                        map[string]any{"a": float64(1), "b": float64(2), "c": float64(2), "d": []any{float64(3)}},
	}
	if diff := cmp.Diff(want, f.Merged); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	wantSources := config.Sources{
		Project: map[string]bool{"stageName": true, "apiRegion": true, "obj": true},
		Foreign: map[string]string{
			"stageName": UserDefaults, "teamFlag": UserDefaults, "apiRegion": ProjectContext, "logRetentionDays": ProjectContext,
			"acknowledged-issue-numbers": ProjectContext, "obj": ProjectContext,
		},
	}
	if diff := cmp.Diff(wantSources, f.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}

	write(t, filepath.Join(dir, "cdk.json"), "{\n  \"context\": {\n    \"stageName\": \"v1\",\n  }\n}")
	if _, err := Read(dir, ""); err == nil || !strings.Contains(err.Error(), "cdk.json is not a JSON object (line 4, column 3: invalid character '}'") {
		t.Errorf("a cdk.json with a trailing comma: got %v, want its line and column", err)
	}
	if f, err := Read(t.TempDir(), ""); err != nil || len(f.Merged) != 0 {
		t.Errorf("no files: %v, %v; want nothing and no error", f.Merged, err)
	}
}

// -c values read as the CDK CLI reads them; see ParseContextArgs.
func TestParseContextArgs(t *testing.T) {
	got, warnings, err := ParseContextArgs([]string{
		"-c", "a=1", "--context", "b=x=y", "--context=c=", "-c=d=e", "-c", "flag", "-c", "=v",
		"-c", "a=2", "-c", "n=1\n2", "-c", "constructor=x", "-c", "aws:=ok",
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"a": "2", "b": "x=y", "c": "", "d": "e", "": "v", "n": "1", "aws:": "ok"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Context argument is not an assignment (key=value): flag"}, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{{"--all"}, {"-c"}, {"-c", "-x=1"}, {"--context="}, {"-c", "aws:region=x"}, {"synth"}, {"-cfoo=bar"}} {
		if _, _, err := ParseContextArgs(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
	if got, err := ParseArgs([]string{"-c", "flag", "-c", "k=v"}); err != nil || !cmp.Equal(got, map[string]any{"k": "v"}) {
		t.Errorf("ParseArgs: got %v, %v; want map[k:v] and no error", got, err)
	}
}

// The context the CLI derives from its settings: metadata and version
// reporting on by default, off where cdk.json or ~/.cdk.json says so,
// cdk.json winning.
func TestSettingsContext(t *testing.T) {
	for _, tc := range []struct {
		name          string
		user, project string
		want          map[string]any
	}{
		{"defaults", "", `{"app": "go run ."}`, map[string]any{
			"aws:cdk:enable-path-metadata": true, "aws:cdk:enable-asset-metadata": true, "aws:cdk:version-reporting": true,
			"aws:cdk:bundling-stacks": []any{"**"}, "@aws-cdk/core:failSynthOnValidationErrors": false}},
		{"cdk.json turns them off", `{"pathMetadata": true}`, `{"pathMetadata": false, "assetMetadata": false, "versionReporting": false}`, map[string]any{
			"aws:cdk:disable-version-reporting": true,
			"aws:cdk:bundling-stacks":           []any{"**"}, "@aws-cdk/core:failSynthOnValidationErrors": false}},
		{"~/.cdk.json turns one off", `{"pathMetadata": false}`, `{}`, map[string]any{
			"aws:cdk:enable-asset-metadata": true, "aws:cdk:version-reporting": true,
			"aws:cdk:bundling-stacks": []any{"**"}, "@aws-cdk/core:failSynthOnValidationErrors": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, home := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ProjectConfig), []byte(tc.project), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.user != "" {
				if err := os.WriteFile(filepath.Join(home, ".cdk.json"), []byte(tc.user), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := SettingsContext(dir, home)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
		})
	}
}
