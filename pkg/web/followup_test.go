package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/sandbox"
)

// TestFollowUpInBackground: asking Partner Center about a bought batch's
// orders answers at once (202) and goes on in the background, whatever
// becomes of the request: the batch says it is being asked about, a second
// ask meanwhile is refused, and the answer is kept when it is in.
func TestFollowUpInBackground(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: 100 * time.Millisecond}}})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	a := newApp(t, Options{Conn: connTo(t, sb), Context: ctx})
	up := uploadApproved(t, a, a)
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+up.ID+"/submission", nil, ""); code != http.StatusAccepted {
		t.Fatalf("submission: %d %s", code, raw)
	}
	if got := statusOn(t, a, up.ID); got.Status != StatusDone {
		t.Fatalf("bought: %s", got.Status)
	}
	start := time.Now()
	code, raw := a.do("alice", "POST", "/api/v1/batches/"+up.ID+"/follow-up", nil, "")
	var asked batchView
	if err := json.Unmarshal(raw, &asked); code != http.StatusAccepted || err != nil || !asked.Asking || asked.Purchase.FollowUp != nil {
		t.Fatalf("follow-up: %d %s", code, raw)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the request waited for the answer: %s", took)
	}
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+up.ID+"/follow-up", nil, ""); code != http.StatusConflict {
		t.Errorf("a second ask meanwhile: %d %s", code, raw)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var got batchView
		_, raw := a.do("alice", "GET", "/api/v1/batches/"+up.ID, nil, "")
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if f := got.Purchase.FollowUp; f != nil {
			if got.Asking || f.Done != 30 || f.By != "token:alice" {
				t.Errorf("the answer: asking %v, %+v", got.Asking, f)
			}
			break
		}
		if !got.Asking || time.Now().After(deadline) {
			t.Fatalf("neither asking nor answered: %s", raw)
		}
	}
}
