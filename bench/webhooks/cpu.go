package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// cpuTimes are the CPU seconds (user + system, from /proc/PID/stat) of the server
// under test, of every PostgreSQL process on the machine, and of this tool (its
// clients and its receiver).
type cpuTimes struct{ server, postgres, tool time.Duration }

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{a.server - b.server, a.postgres - b.postgres, a.tool - b.tool}
}

// clockTick is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
const clockTick = 100

// procCPU reads a process's utime + stime and its command name.
func procCPU(pid string) (string, time.Duration, bool) {
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

// pgDatabase, when set, counts only the PostgreSQL processes working on that
// database (backends and autovacuum workers name it in their title), leaving out other
// sessions' databases on a shared machine (and the shared WAL writer and checkpointer).
var pgDatabase string

// readCPU samples the times; serverPID 0 leaves the server's out. PostgreSQL
// processes that ended between two samples are missed: the server's pool keeps its
// connections, so its backends live through a run.
func readCPU(serverPID int) cpuTimes {
	var t cpuTimes
	if serverPID > 0 {
		_, t.server, _ = procCPU(strconv.Itoa(serverPID))
	}
	_, t.tool, _ = procCPU("self")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		comm, d, ok := procCPU(e.Name())
		if !ok || comm != "postgres" {
			continue
		}
		if pgDatabase != "" {
			title, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if !bytes.Contains(title, []byte(" "+pgDatabase+" ")) {
				continue
			}
		}
		t.postgres += d
	}
	return t
}

// perUnit formats the CPU times per unit of work (a request, a delivery).
func (a cpuTimes) perUnit(n int) string {
	if n == 0 {
		return "-"
	}
	f := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	return fmt.Sprintf("cpu ms/unit: server %.3f  postgres %.3f  tool %.3f  total %.3f",
		f(a.server), f(a.postgres), f(a.tool), f(a.server+a.postgres+a.tool))
}
