package bench

import (
	"encoding/json"
	"flag"
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

// The API's account and organization of the PrivateLink rows.
const (
	apiAccount     = "123456789012"
	organizationId = "o-bench12345678"
)

// privateLinkClientsJSON is a `clients` value of n clients, each in an
// account of its own, cycling through spokeRegions (so each Region and
// account pair is distinct), all with the API's range: PrivateLink lets
// ranges overlap.
func privateLinkClientsJSON(n int) string {
	var entries []string
	for i := range n {
		entries = append(entries, fmt.Sprintf(`{"region":%q,"cidr":"10.0.0.0/16","account":"%012d"}`,
			spokeRegions[i%len(spokeRegions)], 100000000001+i))
	}
	return "[" + strings.Join(entries, ",") + "]"
}

// clientCase is one row of the clients table.
type clientCase struct {
	transport string
	clients   int
	// org sets organizationId (PrivateLink rows only).
	org bool
}

// context is the case's `-c` arguments.
func (c clientCase) context() []string {
	if c.transport == "peering" {
		return []string{"-c", "clients=" + clientsJSON(c.clients)}
	}
	args := []string{"-c", "transport=" + c.transport, "-c", "account=" + apiAccount,
		"-c", "clients=" + privateLinkClientsJSON(c.clients)}
	if c.org {
		args = append(args, "-c", "organizationId="+organizationId)
	}
	return args
}

// synthCase runs `cdk synth` of the app for c into a fresh directory and
// returns its wall time and the directory.
func synthCase(tb testing.TB, root string, c clientCase) (time.Duration, string) {
	tb.Helper()
	dir := tb.TempDir()
	cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "cdk"),
		append([]string{"synth", "--no-lookups", "--quiet", "--output", dir}, c.context()...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("cdk synth over %s with %d clients (organizationId: %t): %v\n%s", c.transport, c.clients, c.org, err, out)
	}
	return time.Since(start), dir
}

// figures are what assemblyFigures reads from a cloud assembly.
type figures struct {
	// stacks is the stack count; chain the longest chain of dependent
	// stacks.
	stacks, chain int
	// apiBytes is the API stack's template size; resourcePolicy and
	// endpointPolicy the lengths of the API's resource policy and of its
	// execute-api endpoint's policy, JSON as in the template; readTrust
	// the length of the trust policy of the API's read role (the role the
	// client stacks of other accounts assume for Fn::GetStackOutput) as
	// IAM counts it: JSON without white space, in the aws partition.
	apiBytes, resourcePolicy, endpointPolicy, readTrust int
}

// assemblyFigures reads a cloud assembly: its stack count, the longest
// chain of dependent stacks, the API stack's template size and its
// policies' sizes.
func assemblyFigures(tb testing.TB, dir string) figures {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type         string   `json:"type"`
			Dependencies []string `json:"dependencies"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
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
	f := figures{stacks: len(deps)}
	for id := range deps {
		f.chain = max(f.chain, depth(id))
	}
	tmpl, err := os.ReadFile(filepath.Join(dir, "CrossRegionApi-Api.template.json"))
	if err != nil {
		tb.Fatal(err)
	}
	f.apiBytes = len(tmpl)
	var t struct {
		Resources map[string]struct {
			Type       string `json:"Type"`
			Properties struct {
				Policy                   json.RawMessage `json:"Policy"`
				PolicyDocument           json.RawMessage `json:"PolicyDocument"`
				AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
			} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(tmpl, &t); err != nil {
		tb.Fatal(err)
	}
	for id, r := range t.Resources {
		switch {
		case r.Type == "AWS::ApiGateway::RestApi":
			f.resourcePolicy = len(r.Properties.Policy)
		case r.Type == "AWS::EC2::VPCEndpoint" && r.Properties.PolicyDocument != nil:
			if f.endpointPolicy != 0 {
				tb.Fatalf("the API stack has more than one VPC endpoint with a policy (%s among them); which is the execute-api endpoint?", id)
			}
			f.endpointPolicy = len(r.Properties.PolicyDocument)
		case r.Type == "AWS::IAM::Role" && strings.HasPrefix(id, "PublishGetStackOutputRole"):
			var doc any
			if err := json.Unmarshal(r.Properties.AssumeRolePolicyDocument, &doc); err != nil {
				tb.Fatal(err)
			}
			compact, err := json.Marshal(inAwsPartition(doc))
			if err != nil {
				tb.Fatal(err)
			}
			f.readTrust = len(compact)
		}
	}
	return f
}

// inAwsPartition resolves the Fn::Sub of a policy of the bench's stacks,
// which name no value but the partition, to their text in the aws
// partition, as IAM counts the policy.
func inAwsPartition(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if sub, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			return strings.ReplaceAll(sub, "${AWS::Partition}", "aws")
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = inAwsPartition(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = inAwsPartition(e)
		}
		return out
	}
	return v
}

// orgCounts and namedCounts are the client counts, each client in an
// account of its own, whose API policies checkPolicySizes compares: with
// organizationId up to 60, without it up to 13, the most the read role's
// trust policy holds (config.ReadRoleTrustChars).
var (
	orgCounts   = []int{1, 20, 60}
	namedCounts = []int{1, 7, 13}
)

// checkPolicySizes fails tb unless, over transport privatelink with clients
// in accounts of their own, the API's resource policy, its endpoint's
// policy and its read role's trust policy keep one size for every count of
// orgCounts with organizationId, and grow with each count of namedCounts
// without it. with and without hold the figures by client count.
func checkPolicySizes(tb testing.TB, with, without map[int]figures) {
	tb.Helper()
	for _, p := range []struct {
		name string
		size func(figures) int
	}{
		{"resource policy", func(f figures) int { return f.resourcePolicy }},
		{"endpoint policy", func(f figures) int { return f.endpointPolicy }},
		{"read role's trust policy", func(f figures) int { return f.readTrust }},
	} {
		for _, n := range orgCounts {
			if got, want := p.size(with[n]), p.size(with[orgCounts[0]]); got == 0 || got != want {
				tb.Errorf("with organizationId, the %s holds %d characters for %d clients but %d for %d: it should not grow with the clients",
					p.name, got, n, want, orgCounts[0])
			}
		}
		for i, n := range namedCounts {
			if p.size(without[n]) == 0 {
				tb.Errorf("%d clients: no %s in the API stack's template", n, p.name)
			}
			if i > 0 {
				prev := namedCounts[i-1]
				if got, before := p.size(without[n]), p.size(without[prev]); got <= before {
					tb.Errorf("without organizationId, the %s holds %d characters for %d clients and %d for %d: it should grow with the client accounts it names",
						p.name, got, n, before, prev)
				}
			}
		}
	}
}

// benchRequested reports whether the test binary runs with -bench, as
// `make bench` does: the tests that synthesize many apps run only then, so
// that `go test ./...` stays as fast as before.
func benchRequested() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
}

// TestPrivateLinkPolicySizes synthesizes the app over PrivateLink with
// clients in accounts of their own, 1, 20 and 60 with organizationId and 1,
// 7 and 13 without, and checks the API's policies: constant in size with
// organizationId, growing without. It synthesizes six apps (about a
// minute), so like the benchmarks it runs only with -bench:
//
//	go test -run '^TestPrivateLinkPolicySizes$' -bench '^$' -v ./bench/
func TestPrivateLinkPolicySizes(t *testing.T) {
	if !benchRequested() {
		t.Skip("synthesizes six apps; runs only with -bench, e.g. go test -run '^TestPrivateLinkPolicySizes$' -bench '^$' ./bench/")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	with, without := map[int]figures{}, map[int]figures{}
	for _, org := range []bool{true, false} {
		counts, figs := namedCounts, without
		if org {
			counts, figs = orgCounts, with
		}
		for _, n := range counts {
			_, dir := synthCase(t, root, clientCase{"privatelink", n, org})
			f := assemblyFigures(t, dir)
			figs[n] = f
			t.Logf("%d clients, organizationId %t: resource policy %d, endpoint policy %d, read role's trust policy %d characters", n, org, f.resourcePolicy, f.endpointPolicy, f.readTrust)
		}
	}
	checkPolicySizes(t, with, without)
}

// BenchmarkSynthClients measures `cdk synth` of the app, in one run, with
// 1, 5, 10 and 20 clients over peering (in the API's account, median of 3
// syntheses), and over PrivateLink with clients in accounts of their own,
// 1, 7 and 13 without organizationId and 1, 20 and 60 with it (one
// synthesis each). Goal:
// each client beyond the first adds at most 10% of the one-client
// synthesis of its transport. It also fails, as TestPrivateLinkPolicySizes
// does, unless the PrivateLink rows' API policies keep one size with
// organizationId and grow without it.
func BenchmarkSynthClients(b *testing.B) {
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	// Peering rows take the median of 3 syntheses; PrivateLink rows, of up
	// to 60 clients, one each, which keeps the package within go test's
	// default 10-minute timeout: one run is 8 to 18 s, and the per-client
	// figure at 20 or 60 clients moves by less than 0.01 with it.
	const clientRuns, privateLinkRuns = 3, 1
	cases := []clientCase{{"peering", 1, false}, {"peering", 5, false}, {"peering", 10, false}, {"peering", 20, false}}
	for _, n := range namedCounts {
		cases = append(cases, clientCase{"privatelink", n, false})
	}
	for _, n := range orgCounts {
		cases = append(cases, clientCase{"privatelink", n, true})
	}
	wall := map[clientCase]time.Duration{}
	dirs := map[clientCase]string{}
	synth(b, root, "go run .") // warm the Go build cache
	for _, c := range cases {
		runs := clientRuns
		if c.transport == "privatelink" {
			runs = privateLinkRuns
		}
		var ds []time.Duration
		for range runs {
			d, dir := synthCase(b, root, c)
			ds = append(ds, d)
			dirs[c] = dir
		}
		wall[c] = median(ds)
	}
	fmt.Println("| transport | clients | stacks | longest chain | cdk synth, median of 3 (s); PrivateLink: 1 run | per client beyond the first (s) | per client / one-client synth | goal | holds | API template (bytes) | resource policy (chars) | endpoint policy (chars) | read role trust policy (chars) | organizationId |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	with, without := map[int]figures{}, map[int]figures{}
	for _, c := range cases {
		f := assemblyFigures(b, dirs[c])
		if c.transport == "privatelink" {
			if c.org {
				with[c.clients] = f
			} else {
				without[c.clients] = f
			}
		}
		one := wall[clientCase{c.transport, 1, c.org}].Seconds()
		per, ratio, holds := "-", "-", "-"
		if c.clients > 1 {
			p := (wall[c].Seconds() - one) / float64(c.clients-1)
			per, ratio = fmt.Sprintf("%.3f", p), fmt.Sprintf("%.3f", p/one)
			holds = "yes"
			if p/one > 0.10 {
				holds = "no"
			}
			name := fmt.Sprintf("per-client-ratio-%d", c.clients)
			if c.transport == "privatelink" {
				name = fmt.Sprintf("privatelink-org-%t-per-client-ratio-%d", c.org, c.clients)
			}
			b.ReportMetric(p/one, name)
		}
		org := "no"
		if c.org {
			org = "yes"
		}
		trust := "-"
		if f.readTrust > 0 {
			trust = fmt.Sprint(f.readTrust)
		}
		fmt.Printf("| %s | %d | %d | %d | %.2f | %s | %s | <= 0.10 | %s | %d | %d | %d | %s | %s |\n",
			c.transport, c.clients, f.stacks, f.chain, wall[c].Seconds(), per, ratio, holds,
			f.apiBytes, f.resourcePolicy, f.endpointPolicy, trust, org)
	}
	checkPolicySizes(b, with, without)
	for b.Loop() {
	}
}
