package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/web"
)

// appStore is the web app's store a bench runs against, and a close.
type appStore interface {
	web.Store
	CreateToken(name string, roles []string) (string, error)
}

func embeddedStore(b *testing.B) (appStore, func()) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return st, func() { st.Close() }
}

// postgresStore is the app's store in a schema of its own on
// IMPORTER_TEST_POSTGRES's server (skipped without one): every version's
// files, 20 results workbooks and rows of 100,000 rows among them, go into
// the database.
func postgresStore(b *testing.B) (appStore, func()) {
	db, err := pgstate.Open(context.Background(), pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	return db.AppStore(), db.Close
}

// BenchmarkWebUploads measures the web app under 20 people uploading the
// 100,000-row CSV bench sheet at once: how long until every upload is
// checked, the highest heap on the way (bounded by --max-checks, the CPUs
// here, not by the number of people), and how long the batches list and a
// page of a batch's rows take to answer meanwhile; with the embedded store
// and with PostgreSQL's.
func BenchmarkWebUploads(b *testing.B) {
	for _, kind := range []struct {
		name string
		open func(*testing.B) (appStore, func())
	}{{"embedded", embeddedStore}, {"postgres", postgresStore}} {
		b.Run(kind.name, func(b *testing.B) { benchWebUploads(b, kind.open) })
	}
}

func benchWebUploads(b *testing.B, open func(*testing.B) (appStore, func())) {
	const users, rows = 20, 100_000
	path := sheet(b, "csv", rows)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		st, closeStore := open(b)
		srv := httptest.NewServer(web.New(web.Options{Store: st, Data: b.TempDir(), MaxUpload: 64 << 20}))
		token, _ := st.CreateToken("bench", []string{web.RoleSubmitter})
		post := func(name string, body []byte) (string, error) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", name)
			_, _ = fw.Write(body)
			mw.Close()
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/batches", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusCreated {
				return "", fmt.Errorf("%d %s", resp.StatusCode, raw)
			}
			return string(raw), nil
		}
		// A batch to look at while the others upload.
		small, _ := os.ReadFile(filepath.Join("..", "samples", "monthly-orders.xlsx"))
		first, err := post("first.xlsx", small)
		if err != nil {
			b.Fatal(err)
		}
		id := first[bytes.Index([]byte(first), []byte(`"id": "`))+7:][:16]
		get := func(p string) time.Duration {
			req, _ := http.NewRequest("GET", srv.URL+p, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			start := time.Now()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			return time.Since(start)
		}
		var lat []time.Duration
		stop := make(chan struct{})
		var watch sync.WaitGroup
		watch.Add(1)
		go func() {
			defer watch.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					lat = append(lat, get("/api/v1/batches"), get("/api/v1/batches/"+id+"/rows?page=1"))
				}
			}
		}()
		elapsed, peak, err := peakHeap(func() error {
			errs := make(chan error, users)
			for u := range users {
				go func() {
					_, err := post(fmt.Sprintf("user%02d.csv", u), data)
					errs <- err
				}()
			}
			for range users {
				if err := <-errs; err != nil {
					return err
				}
			}
			return nil
		})
		close(stop)
		watch.Wait()
		srv.Close()
		closeStore()
		if err != nil {
			b.Fatal(err)
		}
		slices.Sort(lat)
		b.ReportMetric(elapsed.Seconds(), "s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "read-p50-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "read-max-ms")
	}
}
