package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWebhook(t *testing.T) {
	tests := []struct {
		name      string
		answers   []int // status per attempt; the last repeats
		wantCalls int32
		wantErr   string
	}{
		{"first time", []int{200}, 1, ""},
		{"server errors, then fine", []int{503, 500, 204}, 3, ""},
		{"throttled", []int{429, 200}, 2, ""},
		{"refused", []int{400}, 1, "refused: HTTP 400"},
		{"never fine", []int{502}, 4, "HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var got payload
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("content type %q", r.Header.Get("Content-Type"))
				}
				_ = json.NewDecoder(r.Body).Decode(&got)
				status := tt.answers[min(n, len(tt.answers))-1]
				if status == 429 {
					w.Header().Set("Retry-After", "0")
				}
				w.WriteHeader(status)
			}))
			defer srv.Close()
			secretURL := srv.URL + "/services/T000/B000/s3cretToken"
			h := &Webhook{URL: secretURL, Backoff: time.Millisecond}
			err := h.Send(context.Background(), Message{Title: "importer: nov.xlsx: 30 ordered", Text: "30 rows", OK: true, Summary: map[string]int{"Ordered": 30}})
			if calls.Load() != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tt.wantCalls)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cretToken") {
				t.Errorf("the error shows the webhook's secret path: %v", err)
			}
			if !strings.HasPrefix(got.Text, "importer: nov.xlsx: 30 ordered\n") || got.Title == "" || !got.OK || got.Summary == nil {
				t.Errorf("payload %+v", got)
			}
		})
	}
}

func TestWebhookUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook/s3cretToken"
	srv.Close()
	err := (&Webhook{URL: url, Attempts: 2, Backoff: time.Millisecond}).Send(context.Background(), Message{Title: "t"})
	if err == nil || strings.Contains(err.Error(), "s3cretToken") || !strings.Contains(err.Error(), "http://127.0.0.1:") {
		t.Errorf("error %v: want one naming the host only", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Webhook{URL: url, Backoff: time.Hour}).Send(ctx, Message{}); err == nil {
		t.Error("a cancelled send succeeded")
	}
}
