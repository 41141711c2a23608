package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"crossregionapi/config"
)

// Limits on the size of the policies the app writes, each as AWS documents
// it. A policy over its limit synthesizes and then fails to deploy, after
// other stacks of the app were deployed.
const (
	// IAM User Guide, "IAM and AWS STS quotas": "Role trust policy
	// length", 2048 characters by default (4096 at most once raised); "IAM
	// does not count white space when calculating the size of a policy".
	limitRoleTrust = config.MaxRoleTrustPolicy
	// Same page: for inline policies, "the total aggregate policy size (the
	// sum size of all inline policies) per entity cannot exceed" 10,240
	// characters for a role.
	limitRoleInline = 10240
	// Same page: "Managed policy size cannot exceed 6,144 characters."
	limitManaged = 6144
	// API Gateway Developer Guide, "Quotas for configuring and running a
	// REST API in API Gateway": "Length, in characters, of API Gateway
	// resource policy", 8192 (adjustable).
	limitApiResourcePolicy = 8192
	// AWS PrivateLink Guide, "AWS PrivateLink quotas": "Characters per VPC
	// endpoint policy", 20,480, "the maximum size of a VPC endpoint
	// policy, including white space".
	limitEndpointPolicy = 20480
	// Amazon SNS Developer Guide, "Amazon SNS API permissions: Actions and
	// resources reference", policy quotas: "Bytes: 30 kb".
	limitTopicPolicy = 30 * 1024
	// AWS KMS Developer Guide, "Resource quotas": "Key policy document
	// size", 32 KB (32,768 bytes).
	limitKeyPolicy = 32768
	// AWS Lambda Developer Guide, "Lambda quotas": "Function resource-based
	// policy", 20 KB, for all of a function's permissions together.
	limitFunctionPolicy = 20480
)

// policyLimits names each limit, in the order the test reports them.
var policyLimits = []struct {
	kind  string
	limit int
	// none says the app writes no policy of the kind: it is checked all
	// the same, should one appear.
	none bool
}{
	{"role trust policy", limitRoleTrust, false},
	{"inline policies of a role, together", limitRoleInline, false},
	{"managed policy", limitManaged, true},
	{"API Gateway resource policy", limitApiResourcePolicy, false},
	{"VPC endpoint policy", limitEndpointPolicy, false},
	{"SNS topic policy", limitTopicPolicy, false},
	{"KMS key policy", limitKeyPolicy, false},
	{"Lambda function policy, all permissions together", limitFunctionPolicy, false},
}

// largestConfigs are the largest configurations the configuration accepts,
// each pushing what a policy grows with to its bound: the most clients
// (59 over peering, the inbound rules of the endpoint's group; 100 over
// PrivateLink with probes, the dashboard's widgets), the most accounts
// (with organizationId over peering, the accepter role's trust policy; over
// PrivateLink, one per client; without organizationId, the read role's
// trust policy), the longest partition (aws-us-gov) and Region names, the
// longest appName and stageName, log encryption, probes and alarm email on.
var largestConfigs = []struct {
	name    string
	context map[string]any
}{
	{"largest over peering, organizationId", largest("us-east-1", "peering", true, spread(48, 11))},
	{"largest over PrivateLink, organizationId, GovCloud", largest("us-gov-west-1", "privatelink", true, eachInAccount(100, "us-gov-east-1"))},
	{"largest without organizationId over peering, GovCloud", largest("us-gov-west-1", "peering", false,
		append(eachInAccount(13, "us-gov-east-1"), map[string]any{"region": "us-gov-east-1", "cidr": "10.200.0.0/16"}))},
	{"largest without organizationId over PrivateLink", largest("us-east-1", "privatelink", false, spread(0, 33, 19))},
}

// largest is a configuration with the longest names, every optional
// feature on, and clients.
func largest(apiRegion, transport string, org bool, clients []any) map[string]any {
	ctx := map[string]any{
		"appName": "A" + strings.Repeat("b1-", 13), "stageName": strings.Repeat("s", 128),
		"account": "111111111111", "apiRegion": apiRegion, "apiVpcCidr": "10.0.0.0/16", "transport": transport,
		"logEncryption": "kms", "probeIntervalMinutes": 1, "alarmEmail": "ops@example.com",
		"peeringConnectionsQuota": 125, "clients": clients,
	}
	if org {
		ctx["organizationId"] = "o-" + strings.Repeat("a", 32)
	}
	return ctx
}

// eachInAccount is n clients in region, each in an account of its own.
func eachInAccount(n int, region string) []any {
	var out []any
	for i := range n {
		out = append(out, map[string]any{"region": region, "cidr": fmt.Sprintf("10.%d.%d.0/24", 1+i/200, i%200), "account": fmt.Sprintf("2%011d", i)})
	}
	return out
}

// spread is clients in the aws partition's Regions other than us-east-1,
// longest names first: accounts clients each in an account of its own, own
// clients in the API's account, and oneOther (optional) clients of one
// other account.
func spread(accounts, own int, oneOther ...int) []any {
	regions := awsClientRegions()
	var out []any
	add := func(region, account string) {
		e := map[string]any{"region": region, "cidr": fmt.Sprintf("10.%d.0.0/16", 1+len(out))}
		if account != "" {
			e["account"] = account
		}
		out = append(out, e)
	}
	for i := range accounts {
		add(regions[i%len(regions)], fmt.Sprintf("2%011d", i))
	}
	for i := range own {
		add(regions[i], "")
	}
	for _, n := range oneOther {
		for i := range n {
			add(regions[i], "333333333333")
		}
	}
	return out
}

// awsClientRegions are the Regions of the aws partition but us-east-1,
// longest names first.
func awsClientRegions() []string {
	out := []string{
		"us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
		"eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1",
		"me-central-1", "mx-central-1", "sa-east-1",
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// policySizeConfigs are the configurations TestPolicySizes checks: the
// invariants' and the largest; -short leaves the largest out.
func policySizeConfigs(t *testing.T) []struct {
	name    string
	context map[string]any
} {
	out := slices.Clone(invariantConfigs)
	if testing.Short() {
		t.Log("-short: the largest configurations are left out")
		return out
	}
	return append(out, largestConfigs...)
}

// measured is one policy's size, as its service counts it.
type measured struct {
	kind, where string
	size        int
}

// TestPolicySizes checks, over the invariants' configurations and the
// largest the configuration accepts, that every policy the app writes stays
// within AWS's documented limit for its kind, measured as the service
// counts it (JSON without white space) with every intrinsic resolved to the
// longest string it may become: role trust policies, each role's inline
// policies together, managed policies, the API's resource policy, VPC
// endpoint policies, SNS topic policies, KMS key policies and each Lambda
// function's permissions together. A policy of any other kind fails the
// test until its limit is added. It logs the largest policy of each kind.
func TestPolicySizes(t *testing.T) {
	largestOf := map[string]measured{}
	for _, tc := range policySizeConfigs(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := synthesizedConfig(t, tc.name, tc.context)
			for _, m := range policySizes(t, s.deployed) {
				m.where = tc.name + ": " + m.where
				if m.size > limitOf(m.kind) {
					t.Errorf("%s: %s of %d characters, over the limit of %d", m.where, m.kind, m.size, limitOf(m.kind))
				}
				if m.size > largestOf[m.kind].size {
					largestOf[m.kind] = m
				}
			}
		})
	}
	for _, l := range policyLimits {
		m, ok := largestOf[l.kind]
		switch {
		case !ok && l.none:
			t.Logf("no %s: the app writes none", l.kind)
			continue
		case !ok:
			t.Errorf("no %s found: the check checks nothing", l.kind)
			continue
		case l.none:
			t.Errorf("%s: a %s, which the app did not write before: check its limit", m.where, l.kind)
		}
		t.Logf("largest %s: %d of %d characters (%.0f%%), %s", l.kind, m.size, l.limit, 100*float64(m.size)/float64(l.limit), m.where)
	}
}

func limitOf(kind string) int {
	for _, l := range policyLimits {
		if l.kind == kind {
			return l.limit
		}
	}
	panic("no limit for " + kind)
}

// policySizes measures every policy of every stack of d.
func policySizes(t *testing.T, d deployed) []measured {
	t.Helper()
	var out []measured
	for _, stack := range slices.Sorted(mapKeys(d.templates)) {
		r := &resolver{t: t, d: d, stack: stack}
		resources := d.templates[stack]["Resources"].(map[string]any)
		inline := map[string]int{}             // by role logical id
		functionPolicies := map[string][]any{} // statements by function, as the template names it
		for _, id := range slices.Sorted(mapKeys(resources)) {
			res := resources[id].(map[string]any)
			props, _ := res["Properties"].(map[string]any)
			where := stack + " " + id
			switch typ := res["Type"].(string); typ {
			case "AWS::IAM::Role":
				out = append(out, measured{"role trust policy", where, r.size(props["AssumeRolePolicyDocument"])})
				for _, p := range asSlice(props["Policies"]) {
					inline[id] += r.size(p.(map[string]any)["PolicyDocument"])
				}
			case "AWS::IAM::Policy":
				if props["Users"] != nil || props["Groups"] != nil {
					t.Errorf("%s: a policy of users or groups, whose limits this test does not check", where)
				}
				size := r.size(props["PolicyDocument"])
				for _, role := range asSlice(props["Roles"]) {
					ref, ok := role.(map[string]any)["Ref"].(string)
					if !ok {
						t.Fatalf("%s: a policy of role %v, not of a role of its stack", where, role)
					}
					inline[ref] += size
				}
			case "AWS::IAM::ManagedPolicy":
				out = append(out, measured{"managed policy", where, r.size(props["PolicyDocument"])})
			case "AWS::ApiGateway::RestApi":
				if props["Policy"] != nil {
					out = append(out, measured{"API Gateway resource policy", where, r.size(props["Policy"])})
				}
			case "AWS::EC2::VPCEndpoint":
				if props["PolicyDocument"] != nil {
					out = append(out, measured{"VPC endpoint policy", where, r.size(props["PolicyDocument"])})
				}
			case "AWS::SNS::TopicPolicy":
				out = append(out, measured{"SNS topic policy", where, r.size(props["PolicyDocument"])})
			case "AWS::KMS::Key":
				out = append(out, measured{"KMS key policy", where, r.size(props["KeyPolicy"])})
			case "AWS::Lambda::Permission":
				fn := compactJSON(t, props["FunctionName"])
				functionPolicies[fn] = append(functionPolicies[fn], r.permissionStatement(props))
			default:
				for name := range props {
					if strings.Contains(name, "Policy") || strings.Contains(name, "Policies") {
						t.Errorf("%s: %s has %s, a policy whose limit this test does not know: add it", where, typ, name)
					}
				}
			}
		}
		for role, size := range inline {
			out = append(out, measured{"inline policies of a role, together", stack + " " + role, size})
		}
		for fn, statements := range functionPolicies {
			// Lambda keeps one policy per function, each permission a
			// statement of it.
			doc := map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": statements}
			out = append(out, measured{"Lambda function policy, all permissions together", stack + " " + fn, len(compactJSON(t, doc))})
		}
	}
	return out
}

// permissionStatement is the statement Lambda adds to a function's policy
// for an AWS::Lambda::Permission, with the longest statement id Lambda
// takes (100 characters) in place of the one CloudFormation generates.
func (r *resolver) permissionStatement(props map[string]any) map[string]any {
	principal := r.str(props["Principal"])
	st := map[string]any{
		"Sid": strings.Repeat("s", 100), "Effect": "Allow", "Action": r.str(props["Action"]),
		"Resource": r.str(props["FunctionName"]),
	}
	if strings.HasSuffix(principal, ".amazonaws.com") {
		st["Principal"] = map[string]any{"Service": principal}
	} else {
		st["Principal"] = map[string]any{"AWS": principal}
	}
	cond := map[string]any{}
	if v, ok := props["SourceArn"]; ok {
		cond["ArnLike"] = map[string]any{"AWS:SourceArn": r.str(v)}
	}
	if v, ok := props["SourceAccount"]; ok {
		cond["StringEquals"] = map[string]any{"AWS:SourceAccount": r.str(v)}
	}
	for name := range props {
		if !slices.Contains([]string{"Action", "FunctionName", "Principal", "SourceArn", "SourceAccount"}, name) {
			r.t.Errorf("%s: a Lambda permission with %s, which this test does not count", r.stack, name)
		}
	}
	if len(cond) > 0 {
		st["Condition"] = cond
	}
	return st
}

func compactJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// resolver resolves the intrinsic functions of one stack's template to the
// longest string each may become at deploy time.
type resolver struct {
	t     *testing.T
	d     deployed
	stack string
}

// worstAccount is an account id: every one is 12 digits.
const worstAccount = "123456789012"

// worstURLSuffix is the longest AWS::URLSuffix of a partition CDK knows
// (amazonaws.com.cn).
const worstURLSuffix = "amazonaws.com.cn"

// size is the length of a resolved policy document in JSON without white
// space.
func (r *resolver) size(doc any) int {
	r.t.Helper()
	if doc == nil {
		r.t.Fatalf("%s: a policy property without a document", r.stack)
	}
	return len(compactJSON(r.t, r.resolve(doc)))
}

// str resolves v, which must become a string.
func (r *resolver) str(v any) string {
	r.t.Helper()
	s, ok := r.resolve(v).(string)
	if !ok {
		r.t.Fatalf("%s: %s does not resolve to a string", r.stack, compactJSON(r.t, v))
	}
	return s
}

// resolve replaces every intrinsic function in v by its longest value.
func (r *resolver) resolve(v any) any {
	r.t.Helper()
	switch x := v.(type) {
	case []any:
		var out []any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && len(m) == 1 && m["Ref"] == "AWS::NoValue" {
				continue
			}
			out = append(out, r.resolve(e))
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				if strings.HasPrefix(fn, "Fn::") || fn == "Ref" {
					return r.intrinsic(fn, arg)
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = r.resolve(e)
		}
		return out
	}
	return v
}

func (r *resolver) intrinsic(fn string, arg any) any {
	r.t.Helper()
	switch fn {
	case "Ref":
		return r.ref(arg.(string))
	case "Fn::GetAtt":
		a := arg.([]any)
		return r.getAtt(a[0].(string), a[1].(string))
	case "Fn::Join":
		a := arg.([]any)
		var parts []string
		for _, p := range asSlice(r.resolve(a[1])) {
			parts = append(parts, p.(string))
		}
		return strings.Join(parts, a[0].(string))
	case "Fn::Sub":
		text, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			text = a
		case []any:
			text, vars = a[0].(string), a[1].(map[string]any)
		}
		return subVar.ReplaceAllStringFunc(text, func(m string) string {
			name := m[2 : len(m)-1]
			if strings.HasPrefix(name, "!") {
				return "${" + name[1:] + "}"
			}
			if v, ok := vars[name]; ok {
				return r.str(v)
			}
			if id, attr, ok := strings.Cut(name, "."); ok {
				return r.getAtt(id, attr).(string)
			}
			return r.ref(name).(string)
		})
	case "Fn::Select":
		a := arg.([]any)
		list := asSlice(r.resolve(a[1]))
		return list[int(a[0].(float64))]
	case "Fn::Split":
		a := arg.([]any)
		var out []any
		for _, p := range strings.Split(r.str(a[1]), a[0].(string)) {
			out = append(out, p)
		}
		return out
	case "Fn::GetAZs":
		region := r.d.region[r.stack]
		return []any{region + "a", region + "b", region + "c"}
	case "Fn::GetStackOutput":
		a := arg.(map[string]any)
		producer := a["StackName"].(string)
		outputs, _ := r.d.templates[producer]["Outputs"].(map[string]any)
		output, ok := outputs[a["OutputName"].(string)].(map[string]any)
		if !ok {
			r.t.Fatalf("%s reads %s of %s, which it does not have", r.stack, a["OutputName"], producer)
		}
		return (&resolver{t: r.t, d: r.d, stack: producer}).resolve(output["Value"])
	case "Fn::If":
		a := arg.([]any)
		x, y := compactJSON(r.t, r.resolve(a[1])), compactJSON(r.t, r.resolve(a[2]))
		if len(x) >= len(y) {
			return r.resolve(a[1])
		}
		return r.resolve(a[2])
	}
	r.t.Fatalf("%s: no longest value known for %s", r.stack, fn)
	return nil
}

// subVar matches ${Name}, ${Name.Attribute} and ${!Literal} in Fn::Sub.
var subVar = regexp.MustCompile(`\$\{[^}]+\}`)

func (r *resolver) partition() string { return r.d.partitionOfStack[r.stack] }
func (r *resolver) region() string    { return r.d.region[r.stack] }

func (r *resolver) arn(service, region, resource string) string {
	return "arn:" + r.partition() + ":" + service + ":" + region + ":" + worstAccount + ":" + resource
}

// resource returns a resource of the stack, failing the test for a name
// that is not one.
func (r *resolver) resource(id string) (typ string, props map[string]any) {
	r.t.Helper()
	res, ok := r.d.templates[r.stack]["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		r.t.Fatalf("%s: %s is no resource of the stack", r.stack, id)
	}
	props, _ = res["Properties"].(map[string]any)
	return res["Type"].(string), props
}

// name is a resource's name property, or the longest name CloudFormation
// may generate for it.
func (r *resolver) name(props map[string]any, property string, longest int) string {
	if v, ok := props[property]; ok {
		return r.str(v)
	}
	return strings.Repeat("n", longest)
}

// ids are the longest physical ids of the resources a policy refers to by
// Ref: a prefix and 17 hexadecimal digits for EC2's.
var ids = map[string]string{
	"AWS::EC2::VPC":         "vpc-" + strings.Repeat("0", 17),
	"AWS::EC2::VPCEndpoint": "vpce-" + strings.Repeat("0", 17),
	// An endpoint service's id: vpce-svc- and 17 hexadecimal digits.
	"AWS::EC2::VPCEndpointService": "vpce-svc-" + strings.Repeat("0", 17),
	// A KMS key's id is a UUID.
	"AWS::KMS::Key": strings.Repeat("0", 36),
	// A REST API's id is 10 characters.
	"AWS::ApiGateway::RestApi": strings.Repeat("0", 10),
}

func (r *resolver) ref(name string) any {
	r.t.Helper()
	switch name {
	case "AWS::AccountId":
		return worstAccount
	case "AWS::Region":
		return r.region()
	case "AWS::Partition":
		return r.partition()
	case "AWS::URLSuffix":
		return worstURLSuffix
	case "AWS::StackName":
		return r.stack
	case "AWS::StackId":
		return r.arn("cloudformation", r.region(), "stack/"+r.stack+"/"+strings.Repeat("0", 36))
	}
	typ, props := r.resource(name)
	if id, ok := ids[typ]; ok {
		return id
	}
	switch typ {
	case "AWS::SNS::Topic":
		return r.arn("sns", r.region(), r.name(props, "TopicName", 256))
	case "AWS::IAM::Role":
		return r.name(props, "RoleName", 64)
	case "AWS::Lambda::Function":
		return r.name(props, "FunctionName", 64)
	case "AWS::Logs::LogGroup":
		return r.name(props, "LogGroupName", 512)
	case "AWS::SSM::Parameter":
		return r.name(props, "Name", 2048)
	}
	r.t.Fatalf("%s: no longest value known for Ref of %s (%s)", r.stack, name, typ)
	return nil
}

func (r *resolver) getAtt(id, attr string) any {
	r.t.Helper()
	typ, props := r.resource(id)
	switch typ + "." + attr {
	case "AWS::IAM::Role.Arn":
		return "arn:" + r.partition() + ":iam::" + worstAccount + ":role/" + r.name(props, "RoleName", 64)
	case "AWS::Lambda::Function.Arn":
		return r.arn("lambda", r.region(), "function:"+r.name(props, "FunctionName", 64))
	case "AWS::Logs::LogGroup.Arn":
		return r.arn("logs", r.region(), "log-group:"+r.name(props, "LogGroupName", 512)+":*")
	case "AWS::Events::Rule.Arn":
		return r.arn("events", r.region(), "rule/"+r.name(props, "Name", 64))
	case "AWS::KMS::Key.Arn":
		return r.arn("kms", r.region(), "key/"+ids["AWS::KMS::Key"])
	case "AWS::SNS::Topic.TopicArn":
		return r.ref(id)
	case "AWS::EC2::VPC.DefaultSecurityGroup":
		return "sg-" + strings.Repeat("0", 17)
	case "AWS::ApiGateway::RestApi.RootResourceId":
		return strings.Repeat("0", 10)
	case "AWS::SSM::Parameter.Value":
		return r.resolve(props["Value"])
	}
	r.t.Fatalf("%s: no longest value known for %s.%s (%s)", r.stack, id, attr, typ)
	return nil
}

// TestTrustPolicyChars proves the sizes the configuration's check computes
// against the policies the app writes: over the configurations of
// TestPolicySizes, the trust policies of the API stack's read role and of
// its peering accepter role, resolved with the stack's partition, measure
// exactly what config.ReadRoleTrustChars and AccepterRoleTrustChars give
// for that partition and CDK's bootstrap qualifier, and a role exists
// exactly when they give more than 0.
func TestTrustPolicyChars(t *testing.T) {
	const qualifier = "hnb659fds" // CDK's, which cdk.json keeps
	var compared int
	for _, tc := range policySizeConfigs(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := synthesizedConfig(t, tc.name, tc.context)
			api := s.cfg.StackName(config.RoleApi)
			partition := s.partitionOfStack[api]
			r := &resolver{t: t, d: s.deployed, stack: api}
			for _, role := range []struct {
				id   string
				want int
			}{
				{"PublishGetStackOutputRole", s.cfg.ReadRoleTrustChars(partition, qualifier)},
				{"PrivateApiPeeringAccepterRole", s.cfg.AccepterRoleTrustChars(partition)},
			} {
				var found []string
				for id, res := range s.templates[api]["Resources"].(map[string]any) {
					res := res.(map[string]any)
					if !strings.HasPrefix(id, role.id) || res["Type"] != "AWS::IAM::Role" {
						continue
					}
					found = append(found, id)
					doc := res["Properties"].(map[string]any)["AssumeRolePolicyDocument"]
					if got := r.size(doc); got != role.want {
						t.Errorf("%s: the trust policy holds %d characters, config computes %d:\n%s", id, got, role.want, compactJSON(t, r.resolve(doc)))
					}
					compared++
				}
				if want := min(role.want, 1); len(found) != want {
					t.Errorf("%s: roles %v, want %d (config computes %d characters)", role.id, found, want, role.want)
				}
			}
		})
	}
	if compared == 0 {
		t.Error("no trust policy compared: the check checks nothing")
	}
}
