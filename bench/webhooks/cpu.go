package main

import "github.com/contacthub/contacthub/bench/benchkit"

// pgDatabase, when set, counts only the PostgreSQL processes working on that
// database (benchkit.ReadCPU).
var pgDatabase string

// readCPU samples the server's (serverPID 0: left out), PostgreSQL's and this tool's
// CPU times.
func readCPU(serverPID int) benchkit.CPUTimes { return benchkit.ReadCPU(serverPID, pgDatabase) }
