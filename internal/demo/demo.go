// Package demo is the contract of the demo method: the path the API serves
// and the client calls, and what the API answers. The construct that serves
// it, the client that calls it and their tests all take it from here.
package demo

// ResourcePath is the path of the demo GET method below the stage.
const ResourcePath = "hello"

// Message is the message of the demo method's answer.
const Message = "hello from the private API"

// Response is the body the demo method answers with in region.
func Response(region string) string {
	return `{"message": "` + Message + `", "region": "` + region + `"}`
}
