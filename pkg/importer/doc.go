// Package importer is the application core: the use cases every front end
// shares (the CLI, the watched inbox, the web app). It checks a sheet,
// makes and verifies plans, connects to Partner Center or the sandbox,
// submits a checked sheet exactly once, watches an inbox and notifies.
//
// It prints nothing, exits nothing and changes no shared state: each call
// gets its log, its progress and its secrets from the caller, and says how
// it went with a typed outcome (see Fault), which the CLI maps to exit
// codes and the web app to HTTP statuses.
package importer
