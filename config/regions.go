package config

import (
	"slices"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
)

// knownRegions is what the AWS CDK in go.mod knows about Regions. Taking it
// from the CDK rather than a hand-kept list means a Region becomes valid here
// exactly when the CDK can synthesize for it, and upgrading the CDK is the
// only step needed when AWS opens a new Region.
type knownRegions struct {
	names     []string          // sorted
	partition map[string]string // Region name to partition, e.g. "aws-cn"
}

// cdkRegions asks the CDK once per process: each jsii call goes to the
// Node.js runtime, and the first one starts it, which takes seconds.
var cdkRegions = sync.OnceValue(func() knownRegions {
	var k knownRegions
	if names := regioninfo.Fact_Regions(); names != nil {
		for _, n := range *names {
			if n != nil {
				k.names = append(k.names, *n)
			}
		}
	}
	slices.Sort(k.names)
	k.partition = map[string]string{}
	if m := regioninfo.RegionInfo_RegionMap(regioninfo.FactName_PARTITION()); m != nil {
		for r, p := range *m {
			if p != nil {
				k.partition[r] = *p
			}
		}
	}
	return k
})
