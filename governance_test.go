package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

// guardPackage is the npm package (pinned in package.json) that ships
// cfn-guard and AWS Control Tower's proactive controls as guard rules.
const guardPackage = "node_modules/@cdklabs/cdk-validator-cfnguard"

// governed is the configuration of an account that runs AWS Control
// Tower's proactive controls: the two settings the README names.
var governed = map[string]any{"logEncryption": "kms", "logRetentionDays": float64(365)}

// defaultTradeOffs are the controls the default configuration fails on
// purpose (cost and retention), each cleared by one of the two settings.
var defaultTradeOffs = []string{"CT.CLOUDWATCH.PR.2", "CT.CLOUDWATCH.PR.3", "CT.LAMBDA.PR.3"}

// failingControls runs cfn-guard with the Control Tower rules over the
// templates of res and returns the failing control ids by template file.
func failingControls(t *testing.T, res *synthResult) map[string][]string {
	t.Helper()
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	osDir := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS]
	guard := filepath.Join(guardPackage, "bin", osDir, arch, "cfn-guard")
	if _, err := os.Stat(guard); err != nil {
		t.Fatalf("cfn-guard is not installed (%v): run make deps", err)
	}
	// cfn-guard reads every data file of a directory, so it gets one that
	// holds the templates and nothing else.
	data := t.TempDir()
	templates, _ := filepath.Glob(filepath.Join(res.outdir, "*.template.json"))
	if len(templates) != len(res.templates) {
		t.Fatalf("templates in %s: %v, want %d", res.outdir, templates, len(res.templates))
	}
	for _, tmpl := range templates {
		raw, err := os.ReadFile(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, filepath.Base(tmpl)), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(guard, "validate", "--rules", filepath.Join(guardPackage, "rules", "control-tower", "cfn-guard"),
		"--data", data, "--output-format", "json", "--show-summary", "none")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	// cfn-guard exits 19 when a rule fails; anything else is its own error.
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 19) {
		t.Fatalf("cfn-guard: %v\n%s", err, stderr.String())
	}
	controlID := regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.\d+)\]`)
	out := map[string][]string{}
	dec := json.NewDecoder(&stdout)
	for {
		var doc struct {
			Name         string            `json:"name"`
			NotCompliant []json.RawMessage `json:"not_compliant"`
		}
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("reading cfn-guard's report: %v", err)
		}
		for _, nc := range doc.NotCompliant {
			for _, m := range controlID.FindAllStringSubmatch(string(nc), -1) {
				name := filepath.Base(doc.Name)
				if !slices.Contains(out[name], m[1]) {
					out[name] = append(out[name], m[1])
				}
			}
		}
	}
	for name := range out {
		slices.Sort(out[name])
	}
	return out
}

// controls returns every control id of a report, sorted.
func controls(report map[string][]string) []string {
	var all []string
	for _, ids := range report {
		all = append(all, ids...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// With logEncryption=kms and logRetentionDays=365, no template fails any
// of AWS Control Tower's proactive controls, cdk-nag finds nothing open,
// every log group is encrypted with a key of its own stack, and no function
// runs outside a VPC.
func TestGovernedConfigurationPassesControlTower(t *testing.T) {
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, governed)
	res, err := synthesize(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if report := failingControls(t, res); len(report) > 0 {
		t.Errorf("failing Control Tower controls: %v", report)
	}
	if open := nonCompliant(nagReport(t, res)); len(open) > 0 {
		t.Errorf("open cdk-nag findings: %v", open)
	}
	for role, tmpl := range res.templates {
		// Every key rotates and goes with its stack; one per stack serves
		// the log groups (the client's probe topic has a key of its own).
		keys := map[string]map[string]any{}
		for keyID, key := range cdktest.Resources(tmpl, "AWS::KMS::Key") {
			p := key["Properties"].(map[string]any)
			if p["EnableKeyRotation"] != true || p["PendingWindowInDays"] != float64(7) || key["DeletionPolicy"] != "Delete" {
				t.Errorf("%s key %s: rotation %v, pending window %v, deletion %v; want true, 7, Delete",
					role, keyID, p["EnableKeyRotation"], p["PendingWindowInDays"], key["DeletionPolicy"])
			}
			if !strings.HasPrefix(keyID, "ProbeTopicKey") {
				keys[keyID] = key
			}
		}
		groups := cdktest.Resources(tmpl, "AWS::Logs::LogGroup")
		if len(groups) > 0 && len(keys) != 1 {
			t.Errorf("%s: %d KMS keys for %d log groups, want one key", role, len(keys), len(groups))
		}
		for keyID, key := range keys {
			p := key["Properties"].(map[string]any)
			policy := cdktest.JSON(p["KeyPolicy"])
			for _, want := range []string{`"kms:EncryptionContext:aws:logs:arn"`, `":log-group:*"`, `"logs.` + map[string]string{
				config.RoleApi: "us-east-1", config.RoleClient: "us-west-2"}[role] + `."`} {
				if !strings.Contains(policy, want) {
					t.Errorf("%s key policy lacks %s: %s", role, want, policy)
				}
			}
			for id, g := range groups {
				if got := cdktest.JSON(g["Properties"].(map[string]any)["KmsKeyId"]); got != cdktest.JSON(getAtt(keyID, "Arn")) {
					t.Errorf("%s log group %s: KmsKeyId %s, want the stack's key %s", role, id, got, keyID)
				}
			}
		}
		for id, fn := range cdktest.Resources(tmpl, "AWS::Lambda::Function") {
			if fn["Properties"].(map[string]any)["VpcConfig"] == nil {
				t.Errorf("%s function %s runs outside a VPC", role, id)
			}
		}
	}
}

// The default configuration fails exactly the controls the README lists as
// deliberate trade-offs, and prints them.
func TestDefaultConfigurationControlTowerTradeOffs(t *testing.T) {
	report := failingControls(t, defaultApp(t))
	for file, ids := range report {
		t.Logf("default configuration, %s fails %s", file, strings.Join(ids, ", "))
	}
	if diff := cmp.Diff(defaultTradeOffs, controls(report)); diff != "" {
		t.Errorf("controls the default configuration fails (-README +got):\n%s", diff)
	}
}
