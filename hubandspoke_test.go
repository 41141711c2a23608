package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

// The three-client configuration: two clients in the API's account, one in
// another.
var (
	spokeWest    = map[string]any{"region": "us-west-2", "cidr": "192.168.0.0/16"}
	spokeIreland = map[string]any{"region": "eu-west-1", "cidr": "172.20.0.0/16"}
	spokeOther   = map[string]any{"region": "us-west-2", "cidr": "10.50.0.0/16", "account": "222222222222"}
	spokeSydney  = map[string]any{"region": "ap-southeast-2", "cidr": "10.60.0.0/16"}
)

// hubContext is cdk.json's context with the API's account and clients.
func hubContext(t *testing.T, clients ...map[string]any) map[string]any {
	t.Helper()
	ctx := cdkJSONContext(t)
	list := make([]any, len(clients))
	for i, c := range clients {
		list[i] = c
	}
	ctx["account"] = "111111111111"
	ctx["clients"] = list
	return ctx
}

// hubApp is the three-client app, synthesized once.
func hubApp(t *testing.T) *synthResult {
	t.Helper()
	return hubShared.get(t, "three clients", hubContext(t, spokeWest, spokeIreland, spokeOther))
}

// assemblyStack is one stack of a cloud assembly's manifest.
type assemblyStack struct {
	Environment  string
	Dependencies []string // other stacks only
}

// assembly reads the stacks of a cloud assembly, by name.
func assembly(t *testing.T, outdir string) map[string]assemblyStack {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type         string   `json:"type"`
			Environment  string   `json:"environment"`
			Dependencies []string `json:"dependencies"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]assemblyStack{}
	for id, a := range m.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		var deps []string
		for _, d := range a.Dependencies {
			if !strings.HasSuffix(d, ".assets") {
				deps = append(deps, d)
			}
		}
		slices.Sort(deps)
		out[id] = assemblyStack{Environment: a.Environment, Dependencies: deps}
	}
	return out
}

// longestChain is the number of stacks on the longest path of
// dependencies: how many deploy one after the other whatever the
// concurrency.
func longestChain(stacks map[string]assemblyStack) int {
	memo := map[string]int{}
	var depth func(string) int
	depth = func(name string) int {
		if d, ok := memo[name]; ok {
			return d
		}
		d := 1
		for _, dep := range stacks[name].Dependencies {
			d = max(d, 1+depth(dep))
		}
		memo[name] = d
		return d
	}
	longest := 0
	for name := range stacks {
		longest = max(longest, depth(name))
	}
	return longest
}

// template reads one stack's template from a cloud assembly.
func template(t *testing.T, outdir, stack string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(outdir, stack+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// One API stack and, per client, a client stack in the client's Region and
// account and a return-route stack in the API's: 1 + 2N stacks, the spokes
// independent of one another, three stacks on the longest chain.
func TestHubAndSpokeStacks(t *testing.T) {
	res := hubApp(t)
	got := assembly(t, res.outdir)
	api := "CrossRegionApi-Api"
	want := map[string]assemblyStack{api: {Environment: "aws://111111111111/us-east-1"}}
	for _, spoke := range []struct{ id, env string }{
		{"us-west-2", "aws://111111111111/us-west-2"},
		{"eu-west-1", "aws://111111111111/eu-west-1"},
		{"us-west-2-222222222222", "aws://222222222222/us-west-2"},
	} {
		client, route := "CrossRegionApi-Client-"+spoke.id, "CrossRegionApi-PeeringRoute-"+spoke.id
		want[client] = assemblyStack{Environment: spoke.env, Dependencies: []string{api}}
		want[route] = assemblyStack{Environment: "aws://111111111111/us-east-1", Dependencies: []string{api, client}}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
	if n := longestChain(got); n != 3 {
		t.Errorf("longest chain of dependent stacks: %d, want 3", n)
	}
	// cdk-nag ran on every stack (a report each) and left nothing open:
	// the accepter role's one wildcard is suppressed, with its reason.
	reports, _ := filepath.Glob(filepath.Join(res.outdir, "AwsSolutions-*-NagReport.csv"))
	if len(reports) != 7 {
		t.Errorf("cdk-nag reports: %d, want one per stack (7)", len(reports))
	}
	if open := nonCompliant(nagReport(t, res)); len(open) > 0 {
		t.Errorf("open cdk-nag findings: %v", open)
	}
}

// The API side admits every client, and only them: the endpoint's ingress,
// the API's resource policy and the endpoint policy name each client's range
// or account; the accepter role is trusted by the other account only and may
// only accept peering to the API's VPC.
func TestHubAdmitsEveryClient(t *testing.T) {
	res := hubApp(t)
	api := template(t, res.outdir, "CrossRegionApi-Api")
	vpcID, _ := onlyProps(t, api, "AWS::EC2::VPC")

	sgID, _ := onlyProps(t, api, "AWS::EC2::SecurityGroup")
	ingress, _ := securityGroupRules(map[string]any{"Resources": map[string]any{sgID: api["Resources"].(map[string]any)[sgID]}})
	wantIngress := []string{`tcp 443-443 "10.0.0.0/16"`, `tcp 443-443 "10.50.0.0/16"`, `tcp 443-443 "172.20.0.0/16"`, `tcp 443-443 "192.168.0.0/16"`}
	if diff := cmp.Diff(wantIngress, slices.Sorted(slices.Values(ingress[sgID]))); diff != "" {
		t.Errorf("endpoint ingress (-want +got):\n%s", diff)
	}

	_, restAPI := onlyProps(t, api, "AWS::ApiGateway::RestApi")
	policy := cdktest.JSON(restAPI["Policy"])
	if !strings.Contains(policy, `"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:root"]`) {
		t.Errorf("resource policy does not allow exactly both accounts: %s", policy)
	}
	if !strings.Contains(policy, `"Effect":"Deny"`) || !strings.Contains(policy, `"aws:SourceVpce"`) {
		t.Errorf("resource policy lost its endpoint condition: %s", policy)
	}
	_, endpoint := onlyProps(t, api, "AWS::EC2::VPCEndpoint")
	if got := cdktest.JSON(endpoint["PolicyDocument"]); !strings.Contains(got, `"aws:PrincipalAccount":["111111111111","222222222222"]`) {
		t.Errorf("endpoint policy: %s", got)
	}

	var accepter map[string]any
	for _, r := range cdktest.Resources(api, "AWS::IAM::Role") {
		if strings.Contains(cdktest.JSON(r), "arn:aws:iam::222222222222:root") {
			accepter = r["Properties"].(map[string]any)
		}
	}
	if accepter == nil {
		t.Fatal("no role trusted by account 222222222222")
	}
	if got := cdktest.JSON(accepter["AssumeRolePolicyDocument"]); !strings.Contains(got, `"Principal":{"AWS":"arn:aws:iam::222222222222:root"}`) {
		t.Errorf("accepter role trust: %s, want account 222222222222 only", got)
	}
	var acceptPolicy string
	for _, p := range cdktest.Props(api, "AWS::IAM::Policy") {
		if strings.Contains(cdktest.JSON(p), "AcceptVpcPeeringConnection") {
			acceptPolicy = cdktest.JSON(p["PolicyDocument"])
		}
	}
	if strings.Count(acceptPolicy, `"Action"`) != 1 || !strings.Contains(acceptPolicy, `"Action":"ec2:AcceptVpcPeeringConnection"`) ||
		!strings.Contains(acceptPolicy, `"ec2:AccepterVpc"`) || !strings.Contains(acceptPolicy, `{"Ref":"`+vpcID+`"}`) {
		t.Errorf("accepter policy: %s, want ec2:AcceptVpcPeeringConnection for this VPC only", acceptPolicy)
	}

	// Each client's function may invoke the demo method of the API's
	// account, nothing else; the other account's peering names the API's
	// account and its accepter role.
	roleName := cdktest.JSON(accepter["RoleName"])
	for _, id := range []string{"us-west-2", "eu-west-1", "us-west-2-222222222222"} {
		client := template(t, res.outdir, "CrossRegionApi-Client-"+id)
		grants := cdktest.JSON(cdktest.Props(client, "AWS::IAM::Policy"))
		if !strings.Contains(grants, `"arn:aws:execute-api:us-east-1:111111111111:"`) || !strings.Contains(grants, `/v1/GET/hello"`) {
			t.Errorf("%s: the function's grant does not name the demo method in the API's account: %s", id, grants)
		}
		_, peering := onlyProps(t, client, "AWS::EC2::VPCPeeringConnection")
		if id == "us-west-2-222222222222" {
			if peering["PeerOwnerId"] != "111111111111" || peering["PeerRoleArn"] != "arn:aws:iam::111111111111:role/"+strings.Trim(roleName, `"`) {
				t.Errorf("cross-account peering: owner %v, role %v; want the API's account and its accepter role %s", peering["PeerOwnerId"], peering["PeerRoleArn"], roleName)
			}
			if !strings.Contains(cdktest.JSON(peering["PeerVpcId"]), `"RoleArn":"arn:aws:iam::111111111111:role/`) {
				t.Errorf("the other account reads the API's VPC id without a role in the API's account: %s", cdktest.JSON(peering["PeerVpcId"]))
			}
		} else if peering["PeerOwnerId"] != nil || peering["PeerRoleArn"] != nil {
			t.Errorf("%s: same-account peering names an owner or role: %s", id, cdktest.JSON(peering))
		}
	}
}

// A client's stacks depend only on that client: adding or removing another
// client leaves them byte for byte the same, so a deploy touches nothing of
// theirs.
func TestAddingOrRemovingAClientLeavesTheOthersAlone(t *testing.T) {
	base := hubApp(t)
	for _, tc := range []struct {
		name    string
		clients []map[string]any
	}{
		{"the Irish client removed", []map[string]any{spokeWest, spokeOther}},
		{"a Sydney client added first", []map[string]any{spokeSydney, spokeOther, spokeWest, spokeIreland}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := synthesize(hubContext(t, tc.clients...), dir); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"us-west-2", "us-west-2-222222222222"} {
				for _, role := range []string{config.RoleClient, config.RolePeeringRoute} {
					name := "CrossRegionApi-" + role + "-" + id
					b, a := template(t, base.outdir, name), template(t, dir, name)
					if diff := cmp.Diff(b, a); diff != "" {
						t.Errorf("%s changed (-before +after):\n%s", name, diff)
					}
				}
			}
			if got := len(assembly(t, dir)); got != 1+2*len(tc.clients) {
				t.Errorf("stacks: %d, want %d", got, 1+2*len(tc.clients))
			}
		})
	}
}

// The estimate the configuration checks the API's resource policy against
// holds: the policy as API Gateway stores it, with the endpoint's id filled
// in, stays within config.ResourcePolicyChars.
func TestResourcePolicyEstimate(t *testing.T) {
	for name, res := range map[string]*synthResult{"one account": defaultApp(t), "two accounts": hubApp(t)} {
		api := res.templates[config.RoleApi]
		if res == hubShared.res {
			api = template(t, res.outdir, "CrossRegionApi-Api")
		}
		_, restAPI := onlyProps(t, api, "AWS::ApiGateway::RestApi")
		policy := cdktest.JSON(restAPI["Policy"])
		// What CloudFormation fills in for the intrinsics: the endpoint's
		// id, the account, the partition.
		for ref, value := range map[string]string{
			`{"Ref":"` + firstKey(cdktest.Resources(api, "AWS::EC2::VPCEndpoint")) + `"}`: `"vpce-0123456789abcdef0"`,
		} {
			policy = strings.ReplaceAll(policy, ref, value)
		}
		policy = strings.ReplaceAll(policy, `{"Fn::Join":["",["arn:aws:iam::",{"Ref":"AWS::AccountId"},":root"]]}`, `"arn:aws:iam::111111111111:root"`)
		accounts := strings.Count(policy, ":root")
		if accounts == 0 || strings.Contains(policy, `"Ref"`) || strings.Contains(policy, "Fn::") {
			t.Errorf("%s: policy not fully filled in: %s", name, policy)
		}
		if limit := config.ResourcePolicyChars(accounts); len(policy) > limit {
			t.Errorf("%s: the policy holds %d characters, over the estimate %d for %d accounts", name, len(policy), limit, accounts)
		}
	}
}

func firstKey[V any](m map[string]V) string {
	return slices.Sorted(maps.Keys(m))[0]
}

// Every stack that reads another account's outputs names, in each
// Fn::GetStackOutput, a role of the producer's template that its own
// account's CloudFormation execution role may assume; and no trust policy
// of the app names a role of another account as its principal: IAM refuses
// a role principal that does not exist yet (an account bootstrapped after the
// deploy) and stops matching one that is deleted and created again (a
// re-bootstrap), so the trust is the account's, on the condition of the
// execution role's ARN. Two other accounts, both directions (the API read by
// the clients, each client read by its return route), with CDK's default
// bootstrap qualifier and with another.
func TestReadersOfOtherAccounts(t *testing.T) {
	for _, qualifier := range []string{"", "team42"} {
		t.Run("qualifier "+qualifier, func(t *testing.T) { readersOfOtherAccounts(t, qualifier) })
	}
}

func readersOfOtherAccounts(t *testing.T, qualifier string) {
	dir := t.TempDir()
	other := map[string]any{"region": "eu-west-1", "cidr": "10.60.0.0/16", "account": "333333333333"}
	ctx := hubContext(t, spokeOther, other)
	if qualifier != "" {
		ctx["@aws-cdk/core:bootstrapQualifier"] = qualifier
	} else {
		qualifier = "hnb659fds"
	}
	if _, err := synthesize(ctx, dir); err != nil {
		t.Fatal(err)
	}
	stacks := assembly(t, dir)
	templates := map[string]map[string]any{}
	for name := range stacks {
		templates[name] = template(t, dir, name)
	}
	envOf := func(name string) (account, region string) {
		parts := strings.Split(strings.TrimPrefix(stacks[name].Environment, "aws://"), "/")
		return parts[0], parts[1]
	}
	// trusts maps each role name of the app to what its trust policy
	// admits: "account execRoleArn" pairs, for roles trusted that way.
	trusts := map[string][]string{}
	for name, tmpl := range templates {
		for _, r := range cdktest.Props(tmpl, "AWS::IAM::Role") {
			doc := r["AssumeRolePolicyDocument"].(map[string]any)
			for _, st := range doc["Statement"].([]any) {
				stmt := st.(map[string]any)
				principals := cdktest.JSON(stmt["Principal"])
				if strings.Contains(principals, ":role/") {
					t.Errorf("%s: a role's trust names a role as its principal: %s", name, principals)
				}
				cond := cdktest.JSON(stmt["Condition"])
				for _, m := range regexp.MustCompile(`iam::(\d{12}):role/(cdk-[a-z0-9]+-cfn-exec-role-\d{12}-[a-z0-9-]+)`).FindAllStringSubmatch(cond, -1) {
					if !strings.Contains(principals, "iam::"+m[1]+":root") {
						t.Errorf("%s: the condition names %s, but the principal is not its account: %s", name, m[2], principals)
					}
					roleName, _ := r["RoleName"].(string)
					trusts[roleName] = append(trusts[roleName], m[1]+" "+m[2])
				}
			}
		}
	}
	var reads int
	for name, tmpl := range templates {
		account, region := envOf(name)
		for _, m := range regexp.MustCompile(`"Fn::GetStackOutput":\{[^}]*\}`).FindAllString(cdktest.JSON(tmpl), -1) {
			var ref struct {
				GetStackOutput struct{ StackName, Region, RoleArn string } `json:"Fn::GetStackOutput"`
			}
			if err := json.Unmarshal([]byte("{"+m+"}"), &ref); err != nil {
				t.Fatalf("%s: %s: %v", name, m, err)
			}
			producer, _ := envOf(ref.GetStackOutput.StackName)
			if producer == account {
				if ref.GetStackOutput.RoleArn != "" {
					t.Errorf("%s reads %s of its own account through a role", name, ref.GetStackOutput.StackName)
				}
				continue
			}
			reads++
			roleName := ref.GetStackOutput.RoleArn[strings.LastIndex(ref.GetStackOutput.RoleArn, "/")+1:]
			want := account + " cdk-" + qualifier + "-cfn-exec-role-" + account + "-" + region
			if !slices.Contains(trusts[roleName], want) || !strings.Contains(ref.GetStackOutput.RoleArn, ":"+producer+":") {
				t.Errorf("%s reads %s through %s, which trusts %v; want a role of %s trusting %s", name, ref.GetStackOutput.StackName, ref.GetStackOutput.RoleArn, trusts[roleName], producer, want)
			}
		}
	}
	// Each of the two other accounts' client stacks reads the API, and each
	// return route reads its client: at least four cross-account reads.
	if reads < 4 {
		t.Errorf("%d cross-account reads, want at least 4", reads)
	}
}

// A client whose "account" is the API's own, written out, is the same
// client as one without the field: same stacks, byte for byte, with no
// accepter role and no peer role, which a peering within one account cannot
// use.
func TestClientInTheApisAccountWrittenOut(t *testing.T) {
	without, with := t.TempDir(), t.TempDir()
	if _, err := synthesize(hubContext(t, spokeWest, map[string]any{"region": "eu-west-1", "cidr": "10.61.0.0/16"}), without); err != nil {
		t.Fatal(err)
	}
	if _, err := synthesize(hubContext(t, spokeWest, map[string]any{"region": "eu-west-1", "cidr": "10.61.0.0/16", "account": "111111111111"}), with); err != nil {
		t.Fatal(err)
	}
	a, b := assembly(t, without), assembly(t, with)
	if diff := cmp.Diff(slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))); diff != "" {
		t.Fatalf("stacks (-without +with):\n%s", diff)
	}
	for name := range a {
		if diff := cmp.Diff(template(t, without, name), template(t, with, name)); diff != "" {
			t.Errorf("%s differs when the client names the API's account (-without +with):\n%s", name, diff)
		}
	}
	api := cdktest.JSON(template(t, with, "CrossRegionApi-Api"))
	client := cdktest.JSON(template(t, with, "CrossRegionApi-Client-eu-west-1"))
	if strings.Contains(api, "PeeringAccepterRole") || strings.Contains(client, "PeerRoleArn") || strings.Contains(client, "PeerOwnerId") {
		t.Error("a client of the API's own account gets an accepter role or a peer role")
	}
}

// With organizationId every read role of the app (the API's, read by the
// clients of other accounts; each such client's, read by its return route)
// trusts the organization, on the condition that the caller's ARN matches
// the name of a CDK execution role in any account and Region, and names no
// account: its size does not grow with the accounts. Each cross-account
// Fn::GetStackOutput still goes through a role of its producer whose
// pattern matches the consumer's own execution role, with a bootstrap
// qualifier other than CDK's.
func TestReadersOfOneOrganization(t *testing.T) {
	const org, qualifier = "o-abcdefghij", "team42"
	dir := t.TempDir()
	ctx := hubContext(t, spokeWest, spokeOther, map[string]any{"region": "eu-west-1", "cidr": "10.60.0.0/16", "account": "333333333333"})
	ctx["organizationId"] = org
	ctx["@aws-cdk/core:bootstrapQualifier"] = qualifier
	if _, err := synthesize(ctx, dir); err != nil {
		t.Fatal(err)
	}
	stacks := assembly(t, dir)
	envOf := func(name string) (account, region string) {
		parts := strings.Split(strings.TrimPrefix(stacks[name].Environment, "aws://"), "/")
		return parts[0], parts[1]
	}
	// patterns maps each read role's name to the ARN patterns it trusts.
	patterns := map[string][]string{}
	templates := map[string]map[string]any{}
	for name := range stacks {
		templates[name] = template(t, dir, name)
		for id, r := range cdktest.Resources(templates[name], "AWS::IAM::Role") {
			if !strings.Contains(id, "GetStackOutputRole") {
				continue
			}
			props := r["Properties"].(map[string]any)
			doc := props["AssumeRolePolicyDocument"].(map[string]any)
			if text := cdktest.JSON(doc); regexp.MustCompile(`\d{12}`).MatchString(text) {
				t.Errorf("%s %s names an account: %s", name, id, text)
			}
			stmts := doc["Statement"].([]any)
			if len(stmts) != 1 {
				t.Fatalf("%s %s: %d statements, want 1", name, id, len(stmts))
			}
			st := stmts[0].(map[string]any)
			cond, _ := st["Condition"].(map[string]any)
			orgEq, _ := cond["StringEquals"].(map[string]any)
			if cdktest.JSON(st["Principal"]) != `{"AWS":"*"}` || orgEq["aws:PrincipalOrgID"] != org {
				t.Errorf("%s %s: trusts %s on %s, want * of organization %s", name, id, cdktest.JSON(st["Principal"]), cdktest.JSON(cond), org)
			}
			like, _ := cond["ArnLike"].(map[string]any)
			for _, p := range asSlice(like["aws:PrincipalArn"]) {
				sub, _ := p.(map[string]any)["Fn::Sub"].(string)
				patterns[props["RoleName"].(string)] = append(patterns[props["RoleName"].(string)], sub)
			}
		}
	}
	var reads int
	for name, tmpl := range templates {
		account, region := envOf(name)
		for _, m := range regexp.MustCompile(`"Fn::GetStackOutput":\{[^}]*\}`).FindAllString(cdktest.JSON(tmpl), -1) {
			var ref struct {
				GetStackOutput struct{ StackName, RoleArn string } `json:"Fn::GetStackOutput"`
			}
			if err := json.Unmarshal([]byte("{"+m+"}"), &ref); err != nil {
				t.Fatalf("%s: %s: %v", name, m, err)
			}
			if producer, _ := envOf(ref.GetStackOutput.StackName); producer == account {
				continue
			}
			reads++
			roleName := ref.GetStackOutput.RoleArn[strings.LastIndex(ref.GetStackOutput.RoleArn, "/")+1:]
			exec := "arn:aws:iam::" + account + ":role/cdk-" + qualifier + "-cfn-exec-role-" + account + "-" + region
			matched := slices.ContainsFunc(patterns[roleName], func(p string) bool {
				return arnLike(strings.ReplaceAll(p, "${AWS::Partition}", "aws"), exec)
			})
			if !matched {
				t.Errorf("%s reads %s through %s, whose patterns %v do not match its execution role %s", name, ref.GetStackOutput.StackName, roleName, patterns[roleName], exec)
			}
		}
	}
	if reads < 4 {
		t.Errorf("%d cross-account reads, want at least 4", reads)
	}
}

// arnLike reports whether arn matches pattern as IAM's ArnLike compares
// them: each colon-separated part on its own, * matching any run of
// characters and ? any one.
func arnLike(pattern, arn string) bool {
	ps, as := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(ps) != len(as) {
		return false
	}
	for i := range ps {
		re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(ps[i])) + "$"
		if !regexp.MustCompile(re).MatchString(as[i]) {
			return false
		}
	}
	return true
}
