package stacks

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/stacks/crossref"
)

// azStack is a Stack whose Availability Zones never come from a context
// lookup. With a concrete account, CDK's Stack looks the Region's AZs up
// through the AWS API at synth time (VpcProps.AvailabilityZones does not
// prevent it); this type answers with the zones it was given, or else with
// Fn::GetAZs tokens that CloudFormation resolves at deploy time, so synthesis
// never needs credentials and any Region pair works.
type azStack struct {
	awscdk.Stack
	zones   []string
	outputs *crossref.Publisher
}

// zoneCount is how many AZs every VPC of the app spans.
const zoneCount = 2

func newAzStack(scope constructs.Construct, id string, props *awscdk.StackProps, zones []string) awscdk.Stack {
	s := &azStack{zones: zones}
	awscdk.NewStack_Override(s, scope, jsii.String(id), props)
	if config.ZoneIDs(zones) {
		awscdk.Aspects_Of(s).Add(&zoneIDs{ids: zones}, nil)
	}
	// The outputs that other stacks read are named by what they hold, so a
	// consumer changes whenever a value it reads may have.
	s.outputs = crossref.NewPublisher(s)
	readWeakly(s)
	return s
}

// readWeakly makes stack read other stacks' values through
// Fn::GetStackOutput whatever cdk.json says: no custom-resource functions,
// no export that blocks an update or a delete of the producer, and values
// that can cross accounts. crossref keeps them current. It must run
// before the stack has children.
func readWeakly(stack awscdk.Stack) {
	awscdk.CrossStackReferences_Of(stack).Consume(awscdk.ReferenceStrength_WEAK)
}

// publisher returns what stack, one of the app's API or client stacks,
// publishes for others.
func publisher(stack awscdk.Stack) *crossref.Publisher {
	return stack.(*azStack).outputs
}

// zoneIDs gives the subnets of a stack whose zones are Availability Zone
// IDs (use1-az1) those as AvailabilityZoneId. CDK's VPC knows only zone
// names and writes whatever it is given as AvailabilityZone; an ID, unlike a
// name, means the same physical zone in every account.
type zoneIDs struct{ ids []string }

// Visit implements awscdk.IAspect.
func (z *zoneIDs) Visit(node constructs.IConstruct) {
	subnet, ok := node.(awsec2.CfnSubnet)
	if !ok || subnet.AvailabilityZone() == nil || !slices.Contains(z.ids, *subnet.AvailabilityZone()) {
		return
	}
	// L1: the VPC's L2 subnets take zone names only.
	subnet.SetAvailabilityZoneId(subnet.AvailabilityZone())
	subnet.SetAvailabilityZone(nil)
}

// AvailabilityZones overrides Stack.AvailabilityZones.
func (s *azStack) AvailabilityZones() *[]*string {
	if len(s.zones) > 0 {
		return jsii.Strings(s.zones...)
	}
	azs := make([]*string, zoneCount)
	for i := range azs {
		azs[i] = awscdk.Fn_Select(jsii.Number(float64(i)), awscdk.Fn_GetAzs(s.Region()))
	}
	return &azs
}
