package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// regionRuns is how many timed syntheses of each row the median is taken
// over.
const regionRuns = 3

// regionCase is one row of the second Region's table: a transport, with
// one API Region or two (secondaryApiRegion us-east-2), one client in
// us-west-2.
type regionCase struct {
	transport string
	secondary bool
}

// synthRegions runs `cdk synth` of the app for c into a fresh directory
// and returns its wall time and the directory.
func synthRegions(tb testing.TB, root string, c regionCase) (time.Duration, string) {
	tb.Helper()
	dir := tb.TempDir()
	args := []string{"synth", "--no-lookups", "--quiet", "--output", dir, "-c", "transport=" + c.transport}
	if c.secondary {
		args = append(args, "-c", "secondaryApiRegion=us-east-2")
	}
	cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "cdk"), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("cdk synth over %s (secondary Region: %t): %v\n%s", c.transport, c.secondary, err, out)
	}
	return time.Since(start), dir
}

// BenchmarkSynthSecondRegion measures what a second API Region costs to
// synthesize, per transport: `cdk synth` of the default app (one client)
// with and without secondaryApiRegion, median of 3 each, with the stacks
// and the longest chain of each. Goal: the second Region adds at most half
// of the one-Region synthesis: it adds one API stack (and, over peering,
// one return-route stack per client) to an app whose fixed costs (the
// CLI, the jsii runtime, the function's build) it shares.
func BenchmarkSynthSecondRegion(b *testing.B) {
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	cases := []regionCase{{"peering", false}, {"peering", true}, {"privatelink", false}, {"privatelink", true}}
	synth(b, root, "go run .") // warm the Go build cache
	wall, dirs, runs := map[regionCase]time.Duration{}, map[regionCase]string{}, map[regionCase][]time.Duration{}
	for range regionRuns {
		for _, c := range cases {
			d, dir := synthRegions(b, root, c)
			dirs[c] = dir
			runs[c] = append(runs[c], d)
		}
	}
	fmt.Printf("| transport | API Regions | stacks | longest chain | cdk synth, median of %d (s) | second Region adds (s) | / one Region | goal | holds |\n", regionRuns)
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, c := range cases {
		wall[c] = median(runs[c])
		f := assemblyFigures(b, dirs[c])
		regions, added, ratio, holds := 1, "-", "-", "-"
		if c.secondary {
			one := wall[regionCase{c.transport, false}].Seconds()
			a := wall[c].Seconds() - one
			regions, added, ratio, holds = 2, fmt.Sprintf("%.2f", a), fmt.Sprintf("%.2f", a/one), "yes"
			if a/one > 0.5 {
				holds = "no"
			}
			b.ReportMetric(a/one, c.transport+"-second-region-ratio")
		}
		fmt.Printf("| %s | %d | %d | %d | %.2f | %s | %s | <= 0.50 | %s |\n", c.transport, regions, f.stacks, f.chain, wall[c].Seconds(), added, ratio, holds)
	}
	for b.Loop() {
	}
}
