// Package defaults fills in the defaults of optional construct props.
package defaults

import "github.com/aws/jsii-runtime-go"

// String returns v, or def when v is nil or empty.
func String(v *string, def string) *string {
	if v == nil || *v == "" {
		return jsii.String(def)
	}
	return v
}

// Number returns v, or def when v is nil.
func Number(v *float64, def float64) *float64 {
	if v == nil {
		return jsii.Number(def)
	}
	return v
}

// Bool returns *v, or def when v is nil.
func Bool(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}
