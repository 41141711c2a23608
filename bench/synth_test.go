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

// synth runs `cdk synth` for app from the module root, with extra
// environment variables, and returns its wall time.
func synth(b *testing.B, root, app string, env ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "cdk"), "synth", "--no-lookups", "--quiet",
		"--app", app, "--output", b.TempDir())
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20"), env...)
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
// the Go function's build) with the bare app. Goal: at most 1.5x. Every
// variant runs once unmeasured first, so the Go build cache is warm.
//
// The app turns CDK's built-in CloudFormation validation off (its tests run
// it); the bare app keeps CDK's default (on). Because that validation is
// most of a small app's synthesis, the bare app is also measured with it
// off (CDK_VALIDATION=false), so both comparisons are printed.
func BenchmarkSynth(b *testing.B) {
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	type variant struct {
		name, app string
		env       []string
	}
	variants := []variant{
		{"app", "go run .", nil},
		{"bare", "go run ./bench/bareapp", nil},
		{"bare-novalidation", "go run ./bench/bareapp", []string{"CDK_VALIDATION=false"}},
	}
	times := map[string][]time.Duration{}
	for _, v := range variants {
		synth(b, root, v.app, v.env...)
	}
	for range runs {
		for _, v := range variants {
			times[v.name] = append(times[v.name], synth(b, root, v.app, v.env...))
		}
	}
	app := median(times["app"]).Seconds()
	for _, base := range []struct{ name, label string }{
		{"bare", "bare one-stack app, CDK defaults"},
		{"bare-novalidation", "bare one-stack app, validation off like the app"},
	} {
		bare := median(times[base.name]).Seconds()
		ratio := app / bare
		b.ReportMetric(bare, base.name+"-s")
		b.ReportMetric(ratio, base.name+"-ratio")
		holds := "yes"
		if ratio > 1.5 {
			holds = "no"
		}
		fmt.Printf("| cdk synth, median of %d (s) | %.2f | %.2f (%s) | %.2f | <= 1.50 | %s |\n",
			runs, app, bare, base.label, ratio, holds)
	}
	b.ReportMetric(app, "app-s")
	for b.Loop() {
	}
}
