// Package crossref names the outputs that a stack publishes for other
// stacks (CDK weak references, which consumers read with Fn::GetStackOutput)
// by what they hold, so that a consumer's own resources change text exactly
// when a value they read may have changed.
//
// CloudFormation resolves Fn::GetStackOutput only while it executes an
// update, and only for the resources in that update's change set: "the
// referenced value is resolved at stack create or update time. If the
// referenced stack or output is later deleted or modified, the consuming
// stack is not automatically updated or notified" (Fn::GetStackOutput in the
// CloudFormation template reference); in a change set the value is still
// unknown (aws/aws-cdk#38829), and an unchanged template gives an empty change
// set (aws-cloudformation/cloudformation-coverage-roadmap#2559). So a
// consumer resource whose text is the same would keep a deleted VPC's id,
// whatever else of its stack changes, and `cdk deploy --force` would not
// help.
//
// A Publisher therefore appends to each published output's logical id a
// fingerprint of the value it holds. A consumer names that output in
// Fn::GetStackOutput's OutputName, inside the very property that carries the
// value, so when the fingerprint changes, every consuming resource changes
// text: the CDK CLI deploys the consumer, CloudFormation puts each of those
// resources in the change set and resolves the new value. When the
// fingerprint stays, the consumer stays byte for byte the same.
//
// The fingerprint (ValueHash) is as narrow as the CloudFormation resource
// schemas allow, because a consumer property that changes needlessly is not
// harmless: a create-only one (a peering connection's PeerVpcId, a hosted
// zone's Name) would be replaced, an outage for nothing.
//   - A Ref is a resource's physical id, which changes only when the resource
//     is replaced: its logical id, its type and its create-only properties
//     count, conditional ones included (a VPC's InstanceTenancy), each by its
//     own value, followed through the resources it refers to.
//   - Fn::GetAtt of an attribute that echoes a property set in the template
//     (an SSM parameter's Value) counts that property too.
//   - Any other attribute is assigned by the service to the physical
//     resource, and counts as a Ref does, unless attributeFollows names the
//     properties it follows (an endpoint's zonal DNS names follow its
//     subnets).
//   - A value read from yet another stack counts by its text, which holds
//     that stack's fingerprinted output name: the chain API, client, return
//     route follows by itself.
//
// An in-place change (a security-group rule, a policy statement, a new
// subnet of an endpoint) leaves every fingerprint alone. Raw property
// overrides (AddPropertyOverride) are not seen: jsii does not expose them.
package crossref

//go:generate python3 createonly.py
//go:generate gofmt -w createonly_gen.go

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// publishScope is the construct under which CDK puts the outputs that weak
// references read (aws-cdk-lib core/lib/private/refs.js, createGetStackOutput).
const publishScope = "Publish"

// FingerprintLength is how many hex digits of the fingerprint end a
// published output's logical id.
const FingerprintLength = 10

// maxLogicalId is CloudFormation's limit on a logical id.
const maxLogicalId = 255

// attributeFollows lists the read-only attributes that follow properties the
// service updates in place, by "Type.Attribute"; an index names one element
// of a list attribute read with Fn::Select. Every other read-only attribute
// is assigned once to the physical resource.
var attributeFollows = map[string][]string{
	"AWS::EC2::VPCEndpoint.DnsEntries":          {"SubnetIds", "DnsOptions", "IpAddressType", "PrivateDnsEnabled"},
	"AWS::EC2::VPCEndpoint.NetworkInterfaceIds": {"SubnetIds"},
	// The first DNS entry is the endpoint's Regional name, fixed for its
	// life; the zonal names after it follow its subnets. CDK's own alias
	// target for an endpoint reads the same entry.
	"AWS::EC2::VPCEndpoint.DnsEntries[0]": nil,
}

// Publisher is what one stack publishes for the weak references of other
// stacks: the outputs' names, and who of another account may read them. Use
// one per stack; it reads the stack's resources only once synthesis
// resolves those names, when the app is complete.
type Publisher struct {
	stack   awscdk.Stack
	handles map[string]awscdk.CfnResource // by logical id, listed on first use
	res     *resources
	names   map[string]string // by CDK's id of the output
	readers []reader          // of other accounts, in the order added
	// organization, when set, is the AWS Organizations id whose
	// CloudFormation execution roles the read role trusts, instead of
	// naming each reader.
	organization string
}

// reader is a stack of another account that reads the published outputs:
// its account and Region, and the role its CloudFormation runs as.
type reader struct{ account, region, roleArn string }

// NewPublisher returns the Publisher of stack. CDK adds the outputs that
// weak references read while it prepares the app for synthesis, after
// aspects and before validation, so the Publisher names them from a
// validation of the stack, the first code of an app that runs between the
// two; it reports no problem. The names themselves are computed when the
// templates are resolved, once per output.
func NewPublisher(stack awscdk.Stack) *Publisher {
	p := &Publisher{stack: stack, names: map[string]string{}}
	stack.Node().AddValidation(p)
	return p
}

// Validate implements constructs.IValidation: it names each output CDK
// published for a weak reference.
func (p *Publisher) Validate() *[]*string {
	publish := p.stack.Node().TryFindChild(jsii.String(publishScope))
	if publish == nil {
		return &[]*string{}
	}
	for _, child := range *publish.Node().Children() {
		if output, ok := child.(awscdk.CfnOutput); ok {
			id := *p.stack.GetLogicalId(output) // CDK's own, whatever was set before
			output.OverrideLogicalId(awscdk.Lazy_UncachedString(&outputName{p, output, id}, nil))
		}
	}
	return &[]*string{}
}

// outputName produces a published output's name: CDK's id and the
// fingerprint of its value.
type outputName struct {
	p      *Publisher
	output awscdk.CfnOutput
	id     string
}

// Produce implements awscdk.IStringProducer.
func (o *outputName) Produce(awscdk.IResolveContext) *string {
	p := o.p
	name, ok := p.names[o.id]
	if !ok {
		name = withFingerprint(o.id, p.resources().valueHash(p.stack.Resolve(o.output.Value())))
		p.names[o.id] = name
	}
	return jsii.String(name)
}

// TrustReader lets consumer, a stack of another account, read the stack's
// published outputs. Across accounts, Fn::GetStackOutput assumes a
// read-only role of the producer's account; CDK makes one that names the
// consumer's CloudFormation execution role as its principal. IAM refuses
// such a principal until the role exists (the consumer's account must be
// bootstrapped first), and stores it by the role's unique id: once the role
// is deleted and created again (a re-bootstrap), the trust silently stops
// matching and only an edit of the policy mends it (IAM User Guide, role
// trust policy examples). This role is trusted by the consumer's account
// instead, on the condition that the caller's ARN (aws:PrincipalArn,
// compared at every call) is that execution role: it exists whatever the
// order of bootstrap and deploy, and survives a re-bootstrap. It takes the
// place of CDK's, under the id CDK looks for (Publish/GetStackOutputRole,
// aws-cdk-lib core/lib/private/refs.js); CDK then adds its read policy to it.
func (p *Publisher) TrustReader(consumer awscdk.Stack) {
	synth, ok := consumer.Synthesizer().(awscdk.DefaultStackSynthesizer)
	if !ok {
		panic(fmt.Sprintf("crossref: stack %s reads %s from another account but has no DefaultStackSynthesizer, whose execution role the trust names", *consumer.StackName(), *p.stack.StackName()))
	}
	if len(p.readers) == 0 {
		p.newReadRole()
	}
	r := reader{account: *consumer.Account(), region: *consumer.Region(), roleArn: *synth.CloudFormationExecutionRoleArn()}
	if !slices.Contains(p.readers, r) {
		p.readers = append(p.readers, r)
	}
}

// TrustOrganization makes the read role trust, in place of the readers one
// by one, every principal of the AWS Organization id whose ARN matches the
// name of a reader's CloudFormation execution role in any account and
// Region: one pattern per naming (a bootstrap qualifier), so the policy
// keeps one size whatever the number of readers, where naming each costs
// about 140 characters of IAM's 2,048 for a role trust policy (IAM User
// Guide, "IAM and AWS STS quotas": "Role trust policy length").
//
// IAM documents both halves. aws:PrincipalOrgID "provides an alternative to
// listing all the account IDs for all AWS accounts in an organization"
// (IAM User Guide, "AWS global condition context keys"); and a trust
// policy may name the principal "*" when "you otherwise restrict access
// through a Condition element in the policy" (IAM User Guide, "AWS JSON
// policy elements: Principal"), here by both the organization and the
// execution roles' ARN. ArnLike checks "each of the six colon-delimited
// components of the ARN ... separately and each can include multi-character
// match wildcards (*)" (IAM User Guide, "IAM JSON policy elements:
// Condition operators"), so the account and the role name's account and
// Region may be wildcards. aws:PrincipalArn is, for a role's session, the
// role's ARN, compared at every call as with the named form.
//
// Call it before the app is synthesized; the role's policy is written then.
func (p *Publisher) TrustOrganization(id string) { p.organization = id }

// newReadRole adds the read-only role, trusted by the readers' accounts for
// their execution roles only, or by the organization's execution roles of
// the same names (TrustOrganization).
func (p *Publisher) newReadRole() {
	var scope constructs.Construct
	if found, ok := p.stack.Node().TryFindChild(jsii.String(publishScope)).(constructs.Construct); ok {
		scope = found
	} else {
		scope = constructs.NewConstruct(p.stack, jsii.String(publishScope))
	}
	// L1: CDK finds the role by id and refers to its logical id, which an
	// L2 Role, a wrapper around one, does not have.
	role := awsiam.NewCfnRole(scope, jsii.String("GetStackOutputRole"), &awsiam.CfnRoleProps{
		Description: jsii.String("Lets the CloudFormation execution roles of the stacks of other accounts that read this stack's outputs describe it"),
		AssumeRolePolicyDocument: map[string]any{
			"Version":   "2012-10-17",
			"Statement": awscdk.Lazy_Any(&lazy{func() any { return []any{p.trustStatement()} }}, nil),
		},
	})
	role.SetRoleName(awscdk.Names_UniqueResourceName(role, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(64)}))
}

// trustStatement is the read role's one trust statement: the readers'
// accounts on the condition of their execution roles' ARNs, or the
// organization on the condition of those roles' names.
func (p *Publisher) trustStatement() map[string]any {
	sub := func(s string) any { return map[string]any{"Fn::Sub": s} }
	if p.organization != "" {
		var patterns []any
		seen := map[string]bool{}
		for _, r := range p.readers {
			if pattern := rolePattern(r); !seen[pattern] {
				seen[pattern] = true
				patterns = append(patterns, sub(pattern))
			}
		}
		return map[string]any{
			"Effect":    "Allow",
			"Action":    "sts:AssumeRole",
			"Principal": map[string]any{"AWS": "*"},
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:PrincipalOrgID": p.organization},
				"ArnLike":      map[string]any{"aws:PrincipalArn": patterns},
			},
		}
	}
	var accounts, roles []any
	seen := map[string]bool{}
	for _, r := range p.readers {
		// One principal per account, however many of its Regions read.
		if !seen[r.account] {
			seen[r.account] = true
			accounts = append(accounts, sub("arn:${AWS::Partition}:iam::"+r.account+":root"))
		}
		roles = append(roles, sub(r.roleArn))
	}
	return map[string]any{
		"Effect":    "Allow",
		"Action":    "sts:AssumeRole",
		"Principal": map[string]any{"AWS": accounts},
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": roles}},
	}
}

// wildcards matches a run of wildcards joined by hyphens, as the account
// and the Region leave them in a role name.
var wildcards = regexp.MustCompile(`\*(?:-\*)+`)

// rolePattern is r's execution role ARN with its account and Region made
// wildcards: cdk-hnb659fds-cfn-exec-role-111111111111-us-west-2 of account
// 111111111111 becomes cdk-hnb659fds-cfn-exec-role-* of any account.
func rolePattern(r reader) string {
	pattern := strings.ReplaceAll(r.roleArn, r.account, "*")
	pattern = strings.ReplaceAll(pattern, r.region, "*")
	return wildcards.ReplaceAllString(pattern, "*")
}

// lazy is a Lazy value's producer (jsii takes a pointer to a struct).
type lazy struct{ produce func() any }

// Produce implements awscdk.IStableAnyProducer.
func (l *lazy) Produce() any { return l.produce() }

// withFingerprint appends the first FingerprintLength digits of hash to id,
// within CloudFormation's limit; a shortened id keeps its end, where CDK puts
// the hash that makes it unique.
func withFingerprint(id, hash string) string {
	suffix := hash[:FingerprintLength]
	if over := len(id) + len(suffix) - maxLogicalId; over > 0 {
		keep := maxLogicalId - len(suffix) - 8
		id = id[:keep] + id[len(id)-8:]
	}
	return id + suffix
}

// resources returns the stack's resources, resolved one by one on first
// use: resolving a resource that no published value depends on could run
// CDK's lazy values too early (the trust policy of CDK's GetStackOutputRole
// collects its consumers while references are resolved).
func (p *Publisher) resources() *resources {
	if p.res != nil {
		return p.res
	}
	p.handles = map[string]awscdk.CfnResource{}
	for _, node := range *p.stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*awscdk.CfnResource_IsCfnResource(node) {
			continue
		}
		res, ok := node.(awscdk.CfnResource)
		if !ok {
			panic(fmt.Sprintf("crossref: %s is a CfnResource that jsii did not give as one", *node.Node().Path()))
		}
		if *awscdk.Stack_Of(res).Node().Path() != *p.stack.Node().Path() {
			continue // a nested stack's
		}
		id, _ := p.stack.Resolve(res.LogicalId()).(string)
		p.handles[id] = res
	}
	p.res = newResources(func(id string) (Resource, bool) {
		res, ok := p.handles[id]
		if !ok {
			return Resource{}, false
		}
		return Resource{Type: *res.CfnResourceType(), Properties: cfnNames(p.stack.Resolve(res.CfnProperties()))}, true
	})
	return p.res
}

// Resource is one resource of a stack as CloudFormation would see it, with
// every token resolved.
type Resource struct {
	Type       string `json:"type"`
	Properties any    `json:"properties"`
}

// ValueHash is the fingerprint of value (a resolved CloudFormation value, as
// another stack would read it) over the stack's resources; see the package
// comment for what counts.
func ValueHash(stack map[string]Resource, value any) string {
	return newResources(func(id string) (Resource, bool) { r, ok := stack[id]; return r, ok }).valueHash(value)
}

// resources computes fingerprints over one stack, remembering each
// resource's, so that N consumers of one value cost one computation.
type resources struct {
	lookup func(string) (Resource, bool)
	seen   map[string]Resource
	hashes map[string]string // by reference key
}

func newResources(lookup func(string) (Resource, bool)) *resources {
	return &resources{lookup: lookup, seen: map[string]Resource{}, hashes: map[string]string{}}
}

func (r *resources) get(id string) (Resource, bool) {
	if res, ok := r.seen[id]; ok {
		return res, true
	}
	res, ok := r.lookup(id)
	if ok {
		r.seen[id] = res
	}
	return res, ok
}

// valueHash hashes v's text and what each reference in it may resolve to.
func (r *resources) valueHash(v any) string {
	text, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("crossref: encoding %v: %v", v, err))
	}
	h := sha256.New()
	h.Write(text)
	for _, ref := range References(v) {
		fmt.Fprintf(h, "\x00%s\x00%s", ref, r.refHash(ref))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// refHash is the fingerprint of one reference: "Id" for a Ref, "Id.Attr"
// for Fn::GetAtt, "Id.Attr[i]" for one element of a list attribute.
func (r *resources) refHash(ref string) string {
	if h, ok := r.hashes[ref]; ok {
		return h
	}
	id, attr, _ := strings.Cut(ref, ".")
	res, ok := r.get(id)
	var h string
	switch {
	case !ok: // a parameter or a pseudo parameter: its text is all there is
		h = ref
	case attr == "":
		h = r.identity(id, res)
	default:
		h = r.attributeHash(id, attr, res)
	}
	r.hashes[ref] = h
	return h
}

// CreateOnlyProperties returns the top-level properties of a resource type
// whose change may make CloudFormation replace the resource, conditional
// ones included, from the CloudFormation resource schemas; known is false
// for a type the schemas do not describe (a custom resource), any of whose
// properties may.
func CreateOnlyProperties(typ string) (names []string, known bool) {
	names, known = createOnly[typ]
	return slices.Clone(names), known
}

// identity is what replaces the resource: its logical id, its type and its
// create-only properties, all of them for a type the schemas do not know
// (a custom resource).
func (r *resources) identity(id string, res Resource) string {
	props, _ := res.Properties.(map[string]any)
	names, known := createOnly[res.Type]
	if !known {
		names = slices.Sorted(mapKeys(props))
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s", id, res.Type)
	for _, name := range names {
		if v, ok := props[name]; ok {
			fmt.Fprintf(h, "\x00%s\x00%s", name, r.valueHash(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// attributeHash is the fingerprint of one attribute of a resource.
func (r *resources) attributeHash(id, attr string, res Resource) string {
	props, _ := res.Properties.(map[string]any)
	name, _, _ := strings.Cut(strings.SplitN(attr, "[", 2)[0], ".")
	follows := []string{name} // an attribute that echoes a property set here
	if _, set := props[name]; !set {
		var listed bool
		if follows, listed = attributeFollows[res.Type+"."+attr]; !listed {
			follows = attributeFollows[res.Type+"."+strings.SplitN(attr, "[", 2)[0]]
		}
	}
	h := sha256.New()
	h.Write([]byte(r.identity(id, res)))
	for _, p := range follows {
		if v, ok := props[p]; ok {
			fmt.Fprintf(h, "\x00%s\x00%s", p, r.valueHash(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// cfnNames gives top-level property names as CloudFormation spells them:
// an L1 resource holds its properties under the names of its Go or
// TypeScript props, which lower-case the first letter.
func cfnNames(props any) any {
	m, ok := props.(map[string]any)
	if !ok {
		return props
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "" {
			k = strings.ToUpper(k[:1]) + k[1:]
		}
		out[k] = v
	}
	return out
}

// subRef finds ${Name} and ${Name.Attribute} in an Fn::Sub string; names
// with "::" are pseudo parameters such as AWS::Region.
var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+(?:\.[A-Za-z0-9.]+)?)\}`)

// References returns the references in a resolved CloudFormation value,
// sorted and without duplicates: "Id" for a Ref, "Id.Attr" for an
// Fn::GetAtt, "Id.Attr[i]" for Fn::Select of element i of an attribute, as
// Fn::Sub's ${Id} and ${Id.Attr} too. Pseudo parameters are left out.
func References(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "Ref":
					if s, ok := e.(string); ok && !strings.HasPrefix(s, "AWS::") {
						out = append(out, s)
					}
				case "Fn::GetAtt":
					if ref := getAtt(e); ref != "" {
						out = append(out, ref)
					}
				case "Fn::Select":
					if a, ok := e.([]any); ok && len(a) == 2 {
						if i, ok := a[0].(float64); ok {
							if m, ok := a[1].(map[string]any); ok && len(m) == 1 {
								if ref := getAtt(m["Fn::GetAtt"]); ref != "" {
									out = append(out, fmt.Sprintf("%s[%d]", ref, int(i)))
									continue
								}
							}
						}
					}
				case "Fn::Sub":
					s, _ := e.(string)
					if a, ok := e.([]any); ok && len(a) > 0 {
						s, _ = a[0].(string)
					}
					for _, m := range subRef.FindAllStringSubmatch(s, -1) {
						out = append(out, m[1])
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	slices.Sort(out)
	return slices.Compact(out)
}

// getAtt returns "Id.Attr" for the argument of an Fn::GetAtt, or "".
func getAtt(e any) string {
	switch a := e.(type) {
	case []any:
		if len(a) == 2 {
			id, _ := a[0].(string)
			attr, _ := a[1].(string)
			if id != "" && attr != "" {
				return id + "." + attr
			}
		}
	case string:
		if strings.Contains(a, ".") {
			return a
		}
	}
	return ""
}
