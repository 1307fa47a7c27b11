package partnercenter

import (
	"encoding/json"
	"fmt"
)

// ErrorBody is the body of a failed request.
type ErrorBody struct {
	Code        Code            `json:"code"`
	Description string          `json:"description"`
	Data        json.RawMessage `json:"data,omitempty"`
	Source      string          `json:"source,omitempty"`
}

func (e *ErrorBody) Error() string {
	return fmt.Sprintf("Partner Center error %s: %s", e.Code, e.Description)
}

// ThrottleBody is the different body of a 429.
type ThrottleBody struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

// Error codes of failed requests the tool branches on or the sandbox sends.
const (
	CodeTokenMissing          = 800001
	CodeInvalidInput          = 800002
	CodeUnexpected            = 800003
	CodeCartNotFound          = 800008
	CodeCustomerNotFound      = 600008 // the sandbox's; callers go by the 404
	CodeCartLineErrors        = 800009
	CodeOrderInProgress       = 800060
	CodeCartInProgress        = 800064
	CodeCartAlreadySubmitted  = 800065
	CodeTermNotSupported      = 400039
	CodeAvailabilityNotFound  = 400019
	CodeProductNotFound       = 400013
	CodeSKUNotFound           = 400018
	CodeAttestationRequired   = 900203
	CodePartnerAttestation    = 900206
	CodeBillingLongerThanTerm = 900270
	CodeQuantityOutOfRange    = 900275
	CodeResellerInvalid       = 2200
)

// Headers the API reads and echoes.
const (
	HeaderRequestID     = "MS-RequestId"
	HeaderCorrelationID = "MS-CorrelationId"
	HeaderCV            = "MS-CV"
	HeaderServerID      = "MS-ServerId"
)
