// Command hello is the smallest aws-lambda-go function: the baseline the
// benchmarks compare bootstrap's size and cold start against.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

type result struct {
	Message string `json:"message"`
}

func handle(_ context.Context, _ json.RawMessage) (result, error) {
	return result{Message: "hello"}, nil
}

func main() {
	lambda.Start(handle)
}
