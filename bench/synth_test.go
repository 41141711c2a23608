// Package bench measures what the whole project costs to synthesize,
// against a bare CDK Go app, through the pinned CLI.
package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// runs is how many timed syntheses of each app the median is taken over.
const runs = 5

// synth runs `cdk synth` for app from the module root and returns its wall
// time.
func synth(b *testing.B, root, app string) time.Duration {
	b.Helper()
	cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "cdk"), "synth", "--no-lookups", "--quiet",
		"--app", app, "--output", b.TempDir())
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("cdk synth --app %q: %v\n%s", app, err, out)
	}
	return elapsed
}

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}

// BenchmarkSynth compares `cdk synth` of the app (three stacks, cdk-nag,
// the Go function's build) with the bare app. Goal: at most 1.5x. Both are
// run once unmeasured first, so the Go build cache is warm for both.
func BenchmarkSynth(b *testing.B) {
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	apps := map[string]string{"app": "go run .", "bare": "go run ./bench/bareapp"}
	times := map[string][]time.Duration{}
	for _, app := range apps {
		synth(b, root, app)
	}
	for range runs {
		for _, name := range []string{"app", "bare"} {
			times[name] = append(times[name], synth(b, root, apps[name]))
		}
	}
	app, bare := median(times["app"]), median(times["bare"])
	ratio := app.Seconds() / bare.Seconds()
	b.ReportMetric(app.Seconds(), "app-s")
	b.ReportMetric(bare.Seconds(), "bare-s")
	b.ReportMetric(ratio, "ratio")
	holds := "yes"
	if ratio > 1.5 {
		holds = "no"
	}
	fmt.Printf("| cdk synth, median of %d (s) | %.2f | %.2f (bare one-stack app) | %.2f | <= 1.50 | %s |\n",
		runs, app.Seconds(), bare.Seconds(), ratio, holds)
	for b.Loop() {
	}
}
