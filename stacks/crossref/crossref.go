// Package crossref makes a stack that reads another stack's deploy-time
// values (CDK weak references, rendered as Fn::GetStackOutput) change its
// own template whenever those values may have changed.
//
// CloudFormation resolves Fn::GetStackOutput only when the consuming stack
// is created or updated, and the CDK CLI skips a stack whose template did
// not change. A producing resource that is replaced (a new VPC id, API id or
// peering connection id) changes no text in the consumer's template, so
// without help `cdk deploy --all` would report success and leave the
// consumer pointing at the deleted resource. A Watch adds to the consumer
// one SSM String parameter whose value is a fingerprint (see Hash) of what
// could change the values the consumer reads: the producing resources and
// everything they are built from (Ref, Fn::GetAtt and Fn::Sub, followed
// transitively). Whatever would replace such a resource (a changed
// create-only property, a renamed construct) changes the fingerprint, so the
// consumer's template changes with it, the CLI deploys it, and
// CloudFormation reads the new values in the same update; a change that
// replaces nothing read leaves the consumer alone.
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
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// publishScope is the construct under which CDK puts the outputs that weak
// references read (aws-cdk-lib core/lib/private/refs.js, createGetStackOutput).
const publishScope = "Publish"

// Tracker remembers which stacks each stack watches, so that a fingerprint
// also covers what its producer itself reads from further upstream: when the
// API's VPC is replaced, the client's peering connection is replaced too, and
// the return-route stack, which reads only the peering connection, must
// change as well.
type Tracker struct {
	upstream  map[string][]awscdk.Stack // by consumer artifact id
	producers map[string]*producer      // by producer artifact id
}

// producer caches what fingerprints read of one producing stack: jsii calls
// cost, and with N clients each fingerprint would otherwise read the API
// stack again. Resources are resolved only once something reads them, so
// that resources outside every closure (CDK's GetStackOutputRole, whose
// trust policy is a cached Lazy that collects consumers while references are
// resolved) are never resolved early.
type producer struct {
	handles map[string]awscdk.CfnResource // by logical id
	props   map[string]Resource
	hashes  map[string]string // by the resolved published values
}

// NewTracker returns an empty Tracker; use one per app.
func NewTracker() *Tracker {
	return &Tracker{upstream: map[string][]awscdk.Stack{}, producers: map[string]*producer{}}
}

// producer returns the cache of stack, listing its resources on first use.
func (t *Tracker) producer(stack awscdk.Stack) *producer {
	key := *stack.ArtifactId()
	if p, ok := t.producers[key]; ok {
		return p
	}
	p := &producer{handles: map[string]awscdk.CfnResource{}, props: map[string]Resource{}, hashes: map[string]string{}}
	for _, node := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*awscdk.CfnResource_IsCfnResource(node) {
			continue
		}
		res, ok := node.(awscdk.CfnResource)
		if !ok {
			panic(fmt.Sprintf("crossref: %s is a CfnResource that jsii did not give as one", *node.Node().Path()))
		}
		id, _ := stack.Resolve(res.LogicalId()).(string)
		p.handles[id] = res
	}
	t.producers[key] = p
	return p
}

// lookup returns one resource of the producer, resolved on first use.
func (p *producer) lookup(stack awscdk.Stack) func(id string) (Resource, bool) {
	return func(id string) (Resource, bool) {
		if r, ok := p.props[id]; ok {
			return r, true
		}
		res, ok := p.handles[id]
		if !ok {
			return Resource{}, false
		}
		r := Resource{Type: *res.CfnResourceType(), Properties: cfnNames(stack.Resolve(res.CfnProperties()))}
		p.props[id] = r
		return r, true
	}
}

// Watch adds to consumer an SSM String parameter, named parameterName, whose
// value is the fingerprint of what consumer reads from producer. It returns
// the parameter.
func (t *Tracker) Watch(consumer, producer awscdk.Stack, id, parameterName string) awsssm.StringParameter {
	key := *consumer.ArtifactId()
	t.upstream[key] = append(t.upstream[key], producer)
	value := awscdk.Lazy_UncachedString(&fingerprintProducer{tracker: t, producer: producer}, nil)
	return awsssm.NewStringParameter(consumer, jsii.String(id), &awsssm.StringParameterProps{
		ParameterName: jsii.String(parameterName),
		StringValue:   value,
		Description: jsii.String(fmt.Sprintf("Fingerprint of the resources of stack %s that this stack reads; it changes whenever they may have been replaced, so that this stack is deployed again and reads their new values",
			*producer.StackName())),
	})
}

type fingerprintProducer struct {
	tracker  *Tracker
	producer awscdk.Stack
}

// Produce implements awscdk.IStringProducer.
func (p *fingerprintProducer) Produce(_ awscdk.IResolveContext) *string {
	return jsii.String(p.tracker.Fingerprint(p.producer))
}

// Fingerprint returns the hash of what other stacks read from producer,
// and of what could replace it: the resources its published outputs refer
// to, everything they are built from, and the fingerprints of what producer
// itself watches. It is meaningful at synthesis, once every reference has
// been resolved.
func (t *Tracker) Fingerprint(producer awscdk.Stack) string {
	var values []any
	if publish := producer.Node().TryFindChild(jsii.String(publishScope)); publish != nil {
		for _, child := range *publish.Node().Children() {
			if output, ok := child.(awscdk.CfnOutput); ok {
				values = append(values, producer.Resolve(output.Value()))
			}
		}
	}
	p := t.producer(producer)
	key, err := json.Marshal(values)
	if err != nil {
		panic(fmt.Sprintf("crossref: encoding the outputs of %s: %v", *producer.StackName(), err))
	}
	hash, ok := p.hashes[string(key)]
	if !ok {
		hash = hashWith(p.lookup(producer), values)
		p.hashes[string(key)] = hash
	}
	h := sha256.New()
	h.Write([]byte(hash))
	for _, up := range t.upstream[*producer.ArtifactId()] {
		fmt.Fprintf(h, "upstream %s\x00%s\n", *up.StackName(), t.Fingerprint(up))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Hash is the fingerprint of the resources that values (resolved
// CloudFormation values, as other stacks read them) depend on. A value that
// is a resource's Ref (its id) changes only when the resource is replaced,
// so only what replaces it counts: its logical id, its type and its
// create-only properties. A value read with Fn::GetAtt may follow any
// property (an SSM parameter's Value), so all of that resource's properties
// count. The resources either refers to, transitively, count by what would
// replace them. Changes that replace nothing that is read (a new rule in a
// security group, a new principal in a policy) leave the hash alone, so a
// consumer is redeployed only when a value it reads may have changed.
func Hash(resources map[string]Resource, values []any) string {
	return hashWith(func(id string) (Resource, bool) { r, ok := resources[id]; return r, ok }, values)
}

func hashWith(lookup func(string) (Resource, bool), values []any) string {
	whole := map[string]bool{}
	var roots []string
	for _, v := range values {
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			if id, ok := m["Ref"].(string); ok {
				roots = append(roots, id)
				continue
			}
		}
		refs := References(v)
		for _, id := range refs {
			whole[id] = true
		}
		roots = append(roots, refs...)
	}
	h := sha256.New()
	for _, id := range closure(lookup, roots) {
		r, _ := lookup(id)
		props := r.Properties
		if !whole[id] {
			props = createOnlyOf(r)
		}
		b, err := json.Marshal(props)
		if err != nil {
			panic(fmt.Sprintf("crossref: encoding resource %s: %v", id, err))
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", id, r.Type, b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// createOnlyOf returns the properties of r whose change replaces it; all of
// them for a type the schemas do not know (custom resources).
func createOnlyOf(r Resource) any {
	names, known := createOnly[r.Type]
	props, _ := r.Properties.(map[string]any)
	if !known {
		return props
	}
	out := map[string]any{}
	for _, name := range names {
		if v, ok := props[name]; ok {
			out[name] = v
		}
	}
	return out
}

// Resource is one resource of a stack as CloudFormation would see it, with
// every token resolved.
type Resource struct {
	Type       string `json:"type"`
	Properties any    `json:"properties"`
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
var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}`)

// References returns the logical ids a resolved CloudFormation value refers
// to through Ref, Fn::GetAtt or Fn::Sub, sorted and without duplicates.
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
					switch a := e.(type) {
					case []any:
						if len(a) > 0 {
							if s, ok := a[0].(string); ok {
								out = append(out, s)
							}
						}
					case string:
						out = append(out, strings.SplitN(a, ".", 2)[0])
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

// Closure returns roots and every resource they refer to, transitively,
// sorted. Names that are not resources (parameters, conditions) are left
// out.
func Closure(resources map[string]Resource, roots []string) []string {
	return closure(func(id string) (Resource, bool) { r, ok := resources[id]; return r, ok }, roots)
}

func closure(lookup func(string) (Resource, bool), roots []string) []string {
	seen := map[string]bool{}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		r, ok := lookup(id)
		if !ok {
			continue
		}
		seen[id] = true
		queue = append(queue, References(r.Properties)...)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
