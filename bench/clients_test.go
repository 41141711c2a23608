package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spokeRegions are Regions of the aws partition other than the default API
// Region, one per client.
var spokeRegions = []string{
	"us-west-2", "us-east-2", "us-west-1", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
	"eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
	"ap-southeast-2", "sa-east-1", "me-south-1", "af-south-1", "ap-east-1",
}

// clientsJSON is a `clients` value of n clients in n Regions.
func clientsJSON(n int) string {
	var entries []string
	for i := range n {
		entries = append(entries, fmt.Sprintf(`{"region":%q,"cidr":"10.%d.0.0/16"}`, spokeRegions[i], 100+i))
	}
	return "[" + strings.Join(entries, ",") + "]"
}

// assemblyFigures reads a cloud assembly: its stack count, the longest
// chain of dependent stacks, the API stack's template size and its resource
// policy's size.
func assemblyFigures(b *testing.B, dir string) (stacks, chain, apiBytes, policyChars int) {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		b.Fatal(err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type         string   `json:"type"`
			Dependencies []string `json:"dependencies"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	deps := map[string][]string{}
	for id, a := range m.Artifacts {
		if a.Type == "aws:cloudformation:stack" {
			for _, d := range a.Dependencies {
				if !strings.HasSuffix(d, ".assets") {
					deps[id] = append(deps[id], d)
				}
			}
			if _, ok := deps[id]; !ok {
				deps[id] = nil
			}
		}
	}
	var depth func(string) int
	depth = func(id string) int {
		d := 1
		for _, dep := range deps[id] {
			d = max(d, 1+depth(dep))
		}
		return d
	}
	for id := range deps {
		chain = max(chain, depth(id))
	}
	tmpl, err := os.ReadFile(filepath.Join(dir, "CrossRegionApi-Api.template.json"))
	if err != nil {
		b.Fatal(err)
	}
	var t struct {
		Resources map[string]struct {
			Type       string `json:"Type"`
			Properties struct {
				Policy json.RawMessage `json:"Policy"`
			} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(tmpl, &t); err != nil {
		b.Fatal(err)
	}
	for _, r := range t.Resources {
		if r.Type == "AWS::ApiGateway::RestApi" {
			policyChars = len(r.Properties.Policy)
		}
	}
	return len(deps), chain, len(tmpl), policyChars
}

// BenchmarkSynthClients measures `cdk synth` of the app with 1, 5, 10 and
// 20 clients, in one run. Goal: each client beyond the first adds at most
// 10% of the one-client synthesis.
func BenchmarkSynthClients(b *testing.B) {
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	const clientRuns = 3
	counts := []int{1, 5, 10, 20}
	wall := map[int]time.Duration{}
	dirs := map[int]string{}
	synth(b, root, "go run .") // warm the Go build cache
	for _, n := range counts {
		var ds []time.Duration
		for range clientRuns {
			dir := b.TempDir()
			cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "cdk"), "synth", "--no-lookups", "--quiet",
				"--output", dir, "-c", "clients="+clientsJSON(n))
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("cdk synth with %d clients: %v\n%s", n, err, out)
			}
			ds = append(ds, time.Since(start))
			dirs[n] = dir
		}
		wall[n] = median(ds)
	}
	one := wall[1].Seconds()
	fmt.Println("| clients | stacks | longest chain | cdk synth, median of 3 (s) | per client beyond the first (s) | per client / one-client synth | goal | holds | API template (bytes) | resource policy (chars) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range counts {
		stacks, chain, apiBytes, policy := assemblyFigures(b, dirs[n])
		per, ratio, holds := "-", "-", "-"
		if n > 1 {
			p := (wall[n].Seconds() - one) / float64(n-1)
			per, ratio = fmt.Sprintf("%.3f", p), fmt.Sprintf("%.3f", p/one)
			holds = "yes"
			if p/one > 0.10 {
				holds = "no"
			}
			b.ReportMetric(p/one, fmt.Sprintf("per-client-ratio-%d", n))
		}
		fmt.Printf("| %d | %d | %d | %.2f | %s | %s | <= 0.10 | %s | %d | %d |\n",
			n, stacks, chain, wall[n].Seconds(), per, ratio, holds, apiBytes, policy)
	}
	for b.Loop() {
	}
}
