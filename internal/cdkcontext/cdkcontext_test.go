package cdkcontext

import (
	"os"
	"path/filepath"
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

// The files merge as the CDK CLI merges them, ~/.cdk.json first and
// cdk.context.json last, and each key keeps where it came from.
func TestRead(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	write(t, filepath.Join(home, ".cdk.json"), `{"context": {"stageName": "user", "teamFlag": true}}`)
	write(t, filepath.Join(dir, "cdk.json"), `{"app": "go run .", "context": {"stageName": "project", "apiRegion": "eu-west-1"}}`)
	write(t, filepath.Join(dir, "cdk.context.json"), `{"apiRegion": "eu-central-1", "acknowledged-issue-numbers": [1]}`)
	f, err := Read(dir, home)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"stageName": "project", "teamFlag": true, "apiRegion": "eu-central-1", "acknowledged-issue-numbers": []any{float64(1)}}
	if diff := cmp.Diff(want, f.Merged); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	wantSources := config.Sources{
		Project: map[string]bool{"stageName": true, "apiRegion": true},
		Foreign: map[string]string{"stageName": UserDefaults, "teamFlag": UserDefaults, "apiRegion": ProjectContext, "acknowledged-issue-numbers": ProjectContext},
	}
	if diff := cmp.Diff(wantSources, f.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}

	write(t, filepath.Join(dir, "cdk.json"), `{"context": `)
	if _, err := Read(dir, ""); err == nil {
		t.Error("a cdk.json that is not JSON: got no error")
	}
	if f, err := Read(t.TempDir(), ""); err != nil || len(f.Merged) != 0 {
		t.Errorf("no files: %v, %v; want nothing and no error", f.Merged, err)
	}
}

func TestParseArgs(t *testing.T) {
	got, err := ParseArgs([]string{"-c", "a=1", "--context", "b=x=y", "--context=c="})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"a": "1", "b": "x=y", "c": ""}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{{"--all"}, {"-c"}, {"-c", "novalue"}, {"-c", "=v"}, {"synth"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}
