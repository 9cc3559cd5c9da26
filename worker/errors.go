package worker

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/worker/sandbox"
)

// Error codes of worker-made error responses, stable for clients.
const (
	CodeLimit      = "limit_exceeded"
	CodeAgentError = "agent_error"
	CodeNoResponse = "no_response"
	CodeCompile    = "agent_code_error"
	CodeNoBundle   = "bundle_unavailable"
	CodeInternal   = "internal"
)

// ErrorBody is the JSON of a worker-made error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Limit   string `json:"limit,omitempty"`
	} `json:"error"`
	RequestID string `json:"requestId"`
}

// errorResponse maps why an agent did not answer to a status and JSON body.
// A hit time limit is 504; every other agent failure is 500.
func errorResponse(err error, reqID string) (int, []byte) {
	var body ErrorBody
	body.RequestID = reqID
	body.Error.Message = err.Error()
	status := http.StatusInternalServerError
	var le *sandbox.LimitError
	var ae *sandbox.AgentError
	var ce *sandbox.CompileError
	switch {
	case errors.As(err, &le):
		body.Error.Code, body.Error.Limit = CodeLimit, le.Limit
		if le.Limit == sandbox.LimitTime {
			status = http.StatusGatewayTimeout
		}
	case errors.As(err, &ae):
		body.Error.Code = CodeAgentError
	case errors.As(err, &ce):
		body.Error.Code = CodeCompile
	case errors.Is(err, sandbox.ErrNoResponse):
		body.Error.Code = CodeNoResponse
	case errors.Is(err, blob.ErrNotFound):
		// The chain names code that neither this node nor its peers hold.
		status = http.StatusServiceUnavailable
		body.Error.Code = CodeNoBundle
		body.Error.Message = "the agent's code is not available on this node or its peers; upload the bundle (PUT /v1/blobs) to a gateway of this network"
	default:
		body.Error.Code = CodeInternal
		body.Error.Message = "the worker could not run the agent (request " + reqID + ")"
	}
	b, _ := json.Marshal(body)
	return status, b
}
