package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
	"crossregionapi/stacks/crossref"
)

// invariantConfigs are the configurations every invariant is checked over:
// a property that holds for the default but not for many clients, other
// accounts, another partition or the longest name is a bug in an account.
var invariantConfigs = []struct {
	name    string
	context map[string]any
}{
	{"default", nil},
	{"five clients in two accounts", fiveClients},
	{"logEncryption=kms, zone IDs", map[string]any{"logEncryption": "kms", "logRetentionDays": 365, "apiAvailabilityZones": "use1-az1,use1-az2"}},
	{"China, a client in another account", map[string]any{"account": "111111111111", "apiRegion": "cn-north-1", "clients": []any{
		map[string]any{"region": "cn-northwest-1", "cidr": "10.21.0.0/16", "account": "222222222222"},
	}}},
	{"GovCloud, a client in another account", map[string]any{"account": "111111111111", "apiRegion": "us-gov-west-1", "clients": []any{
		map[string]any{"region": "us-gov-east-1", "cidr": "10.31.0.0/16"},
		map[string]any{"region": "us-gov-east-1", "cidr": "10.32.0.0/16", "account": "222222222222"},
	}}},
	{"the longest appName", map[string]any{"appName": "A" + strings.Repeat("b1-", 13)}},
	{"PrivateLink in China, overlapping clients in two accounts, logEncryption=kms", map[string]any{"account": "111111111111",
		"apiRegion": "cn-north-1", "apiVpcCidr": "10.0.0.0/16", "transport": "privatelink", "logEncryption": "kms", "clients": []any{
			map[string]any{"region": "cn-northwest-1", "cidr": "10.0.0.0/16"},
			map[string]any{"region": "cn-northwest-1", "cidr": "10.0.0.0/16", "account": "222222222222"},
		}}},
	// tworegions_test.go's.
	{twoRegionsPeering.name, twoRegionsPeering.context},
	{twoRegionsLink.name, twoRegionsLink.context},
}

// fiveClients is five clients in two accounts, three Regions.
var fiveClients = map[string]any{"account": "111111111111", "clients": []any{
	map[string]any{"region": "us-west-2", "cidr": "10.11.0.0/16"},
	map[string]any{"region": "eu-west-1", "cidr": "10.12.0.0/16"},
	map[string]any{"region": "ap-southeast-2", "cidr": "10.13.0.0/16"},
	map[string]any{"region": "us-west-2", "cidr": "10.14.0.0/16", "account": "222222222222"},
	map[string]any{"region": "eu-west-1", "cidr": "10.15.0.0/16", "account": "222222222222"},
}}

// configSynthesis is one configuration of the invariants, synthesized once
// per test binary: TestInvariants and TestPolicySizes read the same
// syntheses.
type configSynthesis struct {
	deployed
	// cfg is the configuration the app was built from.
	cfg config.Config
	// outdir holds the cloud assembly.
	outdir string
	// res is the synthesis itself.
	res *synthResult
}

// syntheses are the configurations synthesized so far, by name.
var syntheses = struct {
	sync.Mutex
	m map[string]*shared
}{m: map[string]*shared{}}

// synthesizedConfig synthesizes cdk.json's context with context over it,
// the first time name is asked for; TestMain removes the output.
func synthesizedConfig(t *testing.T, name string, context map[string]any) configSynthesis {
	t.Helper()
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, context)
	syntheses.Lock()
	s, ok := syntheses.m[name]
	if !ok {
		s = &shared{}
		syntheses.m[name] = s
		allShared = append(allShared, s)
	}
	syntheses.Unlock()
	res := s.get(t, name, ctx)
	cfg, err := config.Load(func(key string) (any, bool) { v, ok := ctx[key]; return v, ok })
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return configSynthesis{deployed: deployedFrom(t, res.outdir), cfg: cfg, outdir: res.outdir, res: res}
}

// deployed is one synthesized configuration as the invariants read it:
// each stack's template and its account and Region.
type deployed struct {
	templates        map[string]map[string]any
	account, region  map[string]string
	partitionOfStack map[string]string
}

func deployedFrom(t *testing.T, outdir string) deployed {
	t.Helper()
	d := deployed{templates: map[string]map[string]any{}, account: map[string]string{}, region: map[string]string{}, partitionOfStack: map[string]string{}}
	for name, st := range assembly(t, outdir) {
		d.templates[name] = template(t, outdir, name)
		env := strings.Split(strings.TrimPrefix(st.Environment, "aws://"), "/")
		d.account[name], d.region[name] = env[0], env[1]
		switch {
		case strings.HasPrefix(env[1], "cn-"):
			d.partitionOfStack[name] = "aws-cn"
		case strings.HasPrefix(env[1], "us-gov-"):
			d.partitionOfStack[name] = "aws-us-gov"
		default:
			d.partitionOfStack[name] = "aws"
		}
	}
	return d
}

// unknownAccount stands for the account of a stack that names none (the
// default app, deployed with the caller's credentials): one account for
// every such stack, as one `cdk deploy` deploys them.
const unknownAccount = "123456789012"

// pseudoOf is what CloudFormation resolves the pseudo parameters to in
// stack, deployed as d says.
func pseudoOf(d deployed, stack string) map[string]string {
	account := d.account[stack]
	if account == "unknown-account" {
		account = unknownAccount
	}
	suffix := "amazonaws.com"
	if d.partitionOfStack[stack] == "aws-cn" {
		suffix = "amazonaws.com.cn"
	}
	return map[string]string{"AWS::Partition": d.partitionOfStack[stack], "AWS::Region": d.region[stack], "AWS::AccountId": account, "AWS::URLSuffix": suffix}
}

// TestInvariants checks, over every configuration of invariantConfigs, what
// must hold whatever the configuration:
//   - every physical name is unique where AWS requires it: SSM parameters,
//     log groups, Lambda functions and KMS aliases per account and Region,
//     IAM roles and managed policies per account;
//   - no literal ARN of the aws partition in a stack of another partition;
//   - every Fn::GetStackOutput reads its real producer (a client stack the
//     API stack, a return-route stack its own client's stack), in the
//     producer's Region, an output that producer has, named by a
//     fingerprint;
//   - no resource holds a Fn::GetStackOutput in a create-only property
//     while it reads another stack output in a property updated in place:
//     such a value is unknown while CloudFormation plans, and it may plan a
//     replacement whenever the resource is updated (aws/aws-cdk#38829);
//   - every stack output but those CDK publishes for weak references has a
//     description, and none of a transport holds what only the other
//     transport uses (route tables and peering over PrivateLink);
//   - CloudWatch Logs of the stack's Region may use the key of every
//     encrypted log group ("Encrypt log data in CloudWatch Logs using AWS
//     KMS": the key policy must allow logs.{region}.amazonaws.com);
//   - CloudWatch may publish every notification of every alarm to its
//     topic (topic policy and key policy).
func TestInvariants(t *testing.T) {
	for _, tc := range invariantConfigs {
		t.Run(tc.name, func(t *testing.T) {
			d := synthesizedConfig(t, tc.name, tc.context).deployed
			if len(d.templates) < 3 {
				t.Fatalf("%d stacks", len(d.templates))
			}
			t.Run("physical names unique", func(t *testing.T) { uniqueNames(t, d) })
			t.Run("ARNs of the stack's partition", func(t *testing.T) { partitionARNs(t, d) })
			t.Run("consumers read their producers", func(t *testing.T) { realProducers(t, d) })
			t.Run("every alarm's topic takes its notifications", func(t *testing.T) { alarmsHeard(t, d) })
			t.Run("every encrypted log group's key lets CloudWatch Logs use it", func(t *testing.T) { logKeysUsable(t, d) })
			t.Run("every output says what it is", func(t *testing.T) { describedOutputs(t, d) })
			t.Run("no weak reference pulled into a replacement", func(t *testing.T) { weakReferencesOutOfReplacements(t, d) })
		})
	}
}

// physicalNames are the properties that name a resource where AWS wants
// the name unique, and whether that is per account (IAM) or per account and
// Region.
var physicalNames = map[string]struct {
	property string
	global   bool
}{
	"AWS::SSM::Parameter":    {"Name", false},
	"AWS::Logs::LogGroup":    {"LogGroupName", false},
	"AWS::Lambda::Function":  {"FunctionName", false},
	"AWS::KMS::Alias":        {"AliasName", false},
	"AWS::CloudWatch::Alarm": {"AlarmName", false},
	// Dashboards are global to the account.
	"AWS::CloudWatch::Dashboard": {"DashboardName", true},
	"AWS::IAM::Role":             {"RoleName", true},
	"AWS::IAM::ManagedPolicy":    {"ManagedPolicyName", true},
}

// pseudoRef matches a Ref to a pseudo parameter, which names the same value
// in every stack of one environment.
var pseudoRef = regexp.MustCompile(`\{"Ref":"AWS::(Region|AccountId|Partition|URLSuffix)"\}`)

func uniqueNames(t *testing.T, d deployed) {
	seen := map[string]string{}
	var named int
	for stack, tmpl := range d.templates {
		for id, r := range tmpl["Resources"].(map[string]any) {
			res := r.(map[string]any)
			pn, ok := physicalNames[res["Type"].(string)]
			if !ok {
				continue
			}
			props, _ := res["Properties"].(map[string]any)
			v, set := props[pn.property]
			if !set {
				continue // CloudFormation makes the name unique
			}
			name := cdktest.JSON(v)
			// A name built from one of its stack's resources is that
			// resource's, and so unique by construction.
			if strings.Contains(pseudoRef.ReplaceAllString(name, ""), `"Ref"`) || strings.Contains(name, `"Fn::GetAtt"`) {
				continue
			}
			name = pseudoRef.ReplaceAllStringFunc(name, func(m string) string {
				return map[string]string{"Region": d.region[stack], "AccountId": d.account[stack], "Partition": d.partitionOfStack[stack], "URLSuffix": "url"}[pseudoRef.FindStringSubmatch(m)[1]]
			})
			scope := d.account[stack] + "/" + d.region[stack]
			if pn.global {
				scope = d.account[stack]
			}
			key := res["Type"].(string) + " " + scope + " " + name
			if other, dup := seen[key]; dup {
				t.Errorf("%s %s is named %s in %s, and so is %s", res["Type"], id, name, scope, other)
			}
			seen[key] = stack + "/" + id
			named++
		}
	}
	if named == 0 {
		t.Error("no physical name found: the check checks nothing")
	}
}

func partitionARNs(t *testing.T, d deployed) {
	for stack, tmpl := range d.templates {
		if d.partitionOfStack[stack] == "aws" {
			continue
		}
		text := cdktest.JSON(tmpl)
		for _, m := range regexp.MustCompile(`.{0,60}arn:aws:.{0,40}`).FindAllString(text, -1) {
			t.Errorf("%s (partition %s) has an ARN of the aws partition: …%s…", stack, d.partitionOfStack[stack], m)
		}
	}
}

// getStackOutput matches one Fn::GetStackOutput, whose arguments are plain
// strings in these templates.
var getStackOutput = regexp.MustCompile(`\{"Fn::GetStackOutput":\{[^{}]*\}\}`)

// producers are the stacks whose outputs stack reads: a client stack, the
// API stack of each API Region; a return-route stack, its client's stack
// (its name without the API Region that a secondary route's name adds).
func producers(d deployed, stack string) []string {
	switch {
	case strings.Contains(stack, "-"+config.RolePeeringRoute):
		client := strings.Replace(stack, "-"+config.RolePeeringRoute, "-"+config.RoleClient, 1)
		if _, ok := d.templates[client]; !ok {
			client = strings.TrimSuffix(client, "-"+d.region[stack])
		}
		return []string{client}
	case strings.Contains(stack, "-"+config.RoleClient):
		api := stack[:strings.Index(stack, "-"+config.RoleClient)] + "-" + config.RoleApi
		var out []string
		for name := range d.templates {
			if name == api || strings.HasPrefix(name, api+"-") && !strings.Contains(name[len(api):], "-"+config.RoleClient) {
				out = append(out, name)
			}
		}
		return out
	}
	return nil
}

func realProducers(t *testing.T, d deployed) {
	var reads int
	for stack, tmpl := range d.templates {
		wants := producers(d, stack)
		for _, m := range getStackOutput.FindAllString(cdktest.JSON(tmpl), -1) {
			var ref struct {
				G struct{ StackName, Region, OutputName string } `json:"Fn::GetStackOutput"`
			}
			if err := json.Unmarshal([]byte(m), &ref); err != nil {
				t.Fatalf("%s: %s: %v", stack, m, err)
			}
			reads++
			g := ref.G
			want := g.StackName
			if !slices.Contains(wants, want) {
				t.Errorf("%s reads %s of %s, want of its producers %q", stack, g.OutputName, g.StackName, wants)
				continue
			}
			if g.Region != d.region[want] {
				t.Errorf("%s reads %s in %s, but it is in %s", stack, want, g.Region, d.region[want])
			}
			outputs, _ := d.templates[want]["Outputs"].(map[string]any)
			if _, ok := outputs[g.OutputName]; !ok {
				t.Errorf("%s reads output %s, which %s does not have", stack, g.OutputName, want)
			}
			if !regexp.MustCompile(`[0-9a-f]{10}$`).MatchString(g.OutputName) {
				t.Errorf("%s reads output %s, not named by a fingerprint", stack, g.OutputName)
			}
		}
		for _, want := range wants {
			if !strings.Contains(cdktest.JSON(tmpl), fmt.Sprintf(`"StackName":%q`, want)) {
				t.Errorf("%s reads nothing of %s", stack, want)
			}
		}
	}
	if reads == 0 {
		t.Error("no Fn::GetStackOutput found: the check checks nothing")
	}
}

func alarmsHeard(t *testing.T, d deployed) {
	var checked int
	for stack, tmpl := range d.templates {
		problems, n := cdktest.UnheardAlarms(tmpl, pseudoOf(d, stack))
		for _, p := range problems {
			t.Errorf("%s: %s", stack, p)
		}
		checked += n
	}
	if checked == 0 {
		t.Error("no alarm notifies a topic: the check checks nothing")
	}
}

// weakReferencesOutOfReplacements checks every resource that reads another
// stack's output in a create-only property: each output it reads in a
// property updated in place must be one of those, so that whenever it is
// updated because a value it reads changed, that is a real replacement.
func weakReferencesOutOfReplacements(t *testing.T, d deployed) {
	var checked int
	for stack, tmpl := range d.templates {
		for id, r := range tmpl["Resources"].(map[string]any) {
			res := r.(map[string]any)
			typ := res["Type"].(string)
			props, _ := res["Properties"].(map[string]any)
			createOnly, known := crossref.CreateOnlyProperties(typ)
			inReplacing, inPlace := map[string]string{}, map[string]string{}
			for name, v := range props {
				for _, m := range getStackOutput.FindAllString(cdktest.JSON(v), -1) {
					if !known || slices.Contains(createOnly, name) {
						inReplacing[m] = name
					} else {
						inPlace[m] = name
					}
				}
			}
			if len(inReplacing) == 0 {
				continue
			}
			checked++
			for m, name := range inPlace {
				if _, same := inReplacing[m]; !same {
					t.Errorf("%s: %s (%s) reads %s in %s, updated in place, and other stack outputs in create-only properties (%v): "+
						"CloudFormation may plan it as a replacement whenever %s changes", stack, id, typ, m, name, slices.Collect(maps.Values(inReplacing)), name)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no resource reads another stack in a create-only property: the check checks nothing")
	}
	t.Logf("%d resources read another stack's outputs in create-only properties; each reads no other output in place", checked)
}

func logKeysUsable(t *testing.T, d deployed) {
	var checked int
	for stack, tmpl := range d.templates {
		pseudo := pseudoOf(d, stack)
		resources := tmpl["Resources"].(map[string]any)
		for id, r := range resources {
			res := r.(map[string]any)
			props, _ := res["Properties"].(map[string]any)
			if res["Type"] != "AWS::Logs::LogGroup" || props["KmsKeyId"] == nil {
				continue
			}
			checked++
			getAtt, _ := props["KmsKeyId"].(map[string]any)["Fn::GetAtt"].([]any)
			if len(getAtt) != 2 {
				t.Errorf("%s: log group %s is encrypted with %s, not a key of its stack", stack, id, cdktest.JSON(props["KmsKeyId"]))
				continue
			}
			key := resources[getAtt[0].(string)].(map[string]any)["Properties"].(map[string]any)
			policy := cdktest.JSON(cdktest.Resolve(key["KeyPolicy"], pseudo))
			service := fmt.Sprintf(`"Principal":{"Service":"logs.%s.%s"}`, d.region[stack], pseudo["AWS::URLSuffix"])
			if !strings.Contains(policy, service) || !strings.Contains(policy, `"kms:GenerateDataKey*"`) {
				t.Errorf("%s: log group %s's key %s does not let %s use it: %s", stack, id, getAtt[0], service, policy)
			}
		}
	}
	if checked == 0 && strings.Contains(t.Name(), "kms") {
		t.Error("logEncryption=kms, but no encrypted log group: the check checks nothing")
	}
}

func describedOutputs(t *testing.T, d deployed) {
	for stack, tmpl := range d.templates {
		outputs, _ := tmpl["Outputs"].(map[string]any)
		for id, o := range outputs {
			if strings.HasPrefix(id, "PublishOutput") {
				continue
			}
			if desc, _ := o.(map[string]any)["Description"].(string); desc == "" {
				t.Errorf("%s: output %s has no description", stack, id)
			}
		}
		if !strings.Contains(t.Name(), "PrivateLink") {
			continue
		}
		text := cdktest.JSON(tmpl["Resources"])
		for _, peeringOnly := range []string{"route-table", "peered", "AWS::EC2::VPCPeeringConnection"} {
			if strings.Contains(text, peeringOnly) {
				t.Errorf("%s over PrivateLink holds %q, which only peering uses", stack, peeringOnly)
			}
		}
	}
}
