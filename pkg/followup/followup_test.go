package followup

import "testing"

func TestStateOf(t *testing.T) {
	tests := []struct {
		status, provisioning string
		known                bool
		want                 State
	}{
		{"completed", "fulfilled", true, Done},
		{"Completed", "Fulfilled", true, Done},
		{"completed", "unfulfilled", true, Pending},
		{"completed", "PreFulfillmentPending", true, Pending},
		{"completed", "", false, Done}, // provisioning not readable (App+User only)
		{"pending", "fulfilled", true, Pending},
		{"pending_review", "", false, Pending},
		{"something_new", "", false, Pending},
		{"cancelled", "", false, Failed},
		{"po_review_rejected", "", false, Failed},
		{"completed", "failed", true, Failed},
	}
	for _, tt := range tests {
		if got := stateOf(tt.status, tt.provisioning, tt.known); got != tt.want {
			t.Errorf("stateOf(%q, %q, %v) = %v, want %v", tt.status, tt.provisioning, tt.known, got, tt.want)
		}
	}
}
