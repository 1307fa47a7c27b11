# importer: see README.md. `make test` is what CI runs.
GO      ?= go
BIN     := bin/importer
# An execution count, not a duration: with a duration, go1.26's fuzz
# coordinator can fail a target with a bare "context deadline exceeded" when
# a busy machine starves a worker at the deadline (go.dev/issue/75804, fixed
# in Go 1.27). 20000 runs take a few seconds per target here.
FUZZTIME ?= 20000x

.PHONY: build test fuzz lint bench demo serve-demo clean

build:
	$(GO) build -o $(BIN) ./cmd/importer

# -parallel: the tests that run processes (signals, kills, faults) mostly
# wait, so more of them run at once than there are cores.
test:
	$(GO) vet ./...
	$(GO) test -race -parallel=8 ./...
	$(MAKE) --no-print-directory fuzz

# Brief runs of the fuzz targets; run longer by hand, e.g. make fuzz FUZZTIME=10m
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzReadCSV$$' -fuzztime=$(FUZZTIME) ./pkg/ingest/fuzz
	$(GO) test -run='^$$' -fuzz='^FuzzReadXLSX$$' -fuzztime=$(FUZZTIME) ./pkg/ingest/fuzz

# staticcheck, fetched through the module proxy; kept clean, not run by CI.
lint:
	$(GO) vet ./...
	GOFLAGS=-mod=mod $(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

# Generates a 100,000-row sheet (XLSX and CSV) and measures validate end to
# end against a bare excelize Rows() scan; results go to bench/results.txt.
# The PostgreSQL journal's cases need IMPORTER_TEST_POSTGRES (else skipped).
bench:
	@mkdir -p bench
	$(GO) test -run='^$$' -bench=. -benchtime=1x -count=3 -timeout=60m ./bench/ | tee bench/results.txt

# The main job against the built-in Partner Center simulator.
demo: build
	./$(BIN) submit --sandbox samples/monthly-orders.xlsx

# The web app against the simulator, with its demo sign-in (alice, bob,
# carol); its data in a folder of its own.
serve-demo: build
	./$(BIN) serve --sandbox --data .serve-demo --prices samples/pricelist.csv

clean:
	rm -rf bin
