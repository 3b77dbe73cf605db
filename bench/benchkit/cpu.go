package benchkit

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// CPUTimes are the CPU times (user + system, from /proc/PID/stat) of the server under
// test, of the PostgreSQL processes, of Redis and of the load tool itself: on a
// machine where all of them share the cores, a rate is only read right beside where
// the CPU went.
type CPUTimes struct{ Server, Postgres, Redis, Tool time.Duration }

// Sub is a − b.
func (a CPUTimes) Sub(b CPUTimes) CPUTimes {
	return CPUTimes{a.Server - b.Server, a.Postgres - b.Postgres, a.Redis - b.Redis, a.Tool - b.Tool}
}

// Total is the sum of the times.
func (a CPUTimes) Total() time.Duration { return a.Server + a.Postgres + a.Redis + a.Tool }

// clockTick is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
const clockTick = 100

// ProcCPU reads a process's utime + stime and its command name.
func ProcCPU(pid string) (string, time.Duration, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return "", 0, false
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	fields := bytes.Fields(b[end+1:])
	if len(fields) < 13 {
		return "", 0, false
	}
	// After the command: state(3) … utime(14) stime(15), counted from the pid.
	ut, _ := strconv.ParseInt(string(fields[11]), 10, 64)
	st, _ := strconv.ParseInt(string(fields[12]), 10, 64)
	return string(b[open+1 : end]), time.Duration(ut+st) * time.Second / clockTick, true
}

// ReadCPU samples the times: serverPID 0 leaves the server out; pgDatabase, when set,
// counts only the PostgreSQL processes working on that database (backends and
// autovacuum workers name it in their title), leaving out other sessions' databases on
// a shared machine (and the shared WAL writer and checkpointer). PostgreSQL processes
// that ended between two samples are missed: a server's pool keeps its connections, so
// its backends live through a run. Tool is this process.
func ReadCPU(serverPID int, pgDatabase string) CPUTimes {
	t, _ := readCPU(serverPID, pgDatabase)
	return t
}

// readCPU is ReadCPU with the PostgreSQL processes' times by pid.
func readCPU(serverPID int, pgDatabase string) (CPUTimes, map[string]time.Duration) {
	var t CPUTimes
	pg := map[string]time.Duration{}
	if serverPID > 0 {
		_, t.Server, _ = ProcCPU(strconv.Itoa(serverPID))
	}
	_, t.Tool, _ = ProcCPU("self")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		comm, d, ok := ProcCPU(e.Name())
		switch {
		case !ok:
		case comm == "redis-server":
			t.Redis += d
		case comm == "postgres":
			if pgDatabase != "" {
				title, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				if !bytes.Contains(title, []byte(" "+pgDatabase+" ")) {
					continue
				}
			}
			t.Postgres += d
			pg[e.Name()] = d
		}
	}
	return t, pg
}

// MeasureCPU starts measuring the CPU times ReadCPU reads and returns the function
// that ends the measurement and returns them. Unlike two ReadCPU samples it also counts
// PostgreSQL processes that start and end in between (pgbench's connections): it
// samples every 200 ms and keeps each process's last time, so at most the last 200 ms
// of such a process are missed.
func MeasureCPU(serverPID int, pgDatabase string) (stop func() CPUTimes) {
	start, pg0 := readCPU(serverPID, pgDatabase)
	last := map[string]time.Duration{}
	sample := func() CPUTimes {
		t, pg := readCPU(serverPID, pgDatabase)
		maps.Copy(last, pg)
		return t
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	return func() CPUTimes {
		close(quit)
		<-done
		t := sample().Sub(start)
		t.Postgres = 0
		for pid, d := range last {
			t.Postgres += d - pg0[pid] // 0 for a process that started meanwhile
		}
		return t
	}
}

// PerUnit formats the CPU times per unit of work (a request, a delivery).
func (a CPUTimes) PerUnit(n int) string {
	if n == 0 {
		return "-"
	}
	f := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	return fmt.Sprintf("cpu ms/unit: server %.3f  postgres %.3f  redis %.3f  tool %.3f  total %.3f",
		f(a.Server), f(a.Postgres), f(a.Redis), f(a.Tool), f(a.Total()))
}
