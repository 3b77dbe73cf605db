package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		done, total, failed int64
		rate                float64
		elapsed             time.Duration
		want                string
	}{
		{450_000, 1_000_000, 12, 12_345, 40 * time.Second, "[#############.................]  45%  450,000/1,000,000 rows  12,345 rows/s  ETA 0:45  failed 12"},
		{0, 10, 0, 0, 0, "[..............................]   0%  0/10 rows  0 rows/s  ETA -"},
		{10, 10, 0, 5, 3723 * time.Second, "[##############################] 100%  10/10 rows  5 rows/s  took 1:02:03"},
	} {
		if got := progressLine(tc.done, tc.total, tc.failed, tc.rate, tc.elapsed); got != tc.want {
			t.Errorf("progressLine(%d, %d, %d, %v)\n got %q\nwant %q", tc.done, tc.total, tc.failed, tc.rate, got, tc.want)
		}
	}
}

// TestProgressBarRate: the rate follows the last seconds, not the average since the
// start; on a terminal the line is redrawn in place, elsewhere printed now and then.
func TestProgressBarRate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	start := time.Unix(1_000_000, 0)
	p := newProgressBar(&buf, true, start)
	for s := range 35 {
		done := int64(s) * 100 // 100 rows/s for 20 s, then 1,000 rows/s
		if s > 20 {
			done = 2000 + int64(s-20)*1000
		}
		p.update(start.Add(time.Duration(s)*time.Second), done, 100_000, 0)
	}
	if r := p.rate(); r != 1000 {
		t.Fatalf("rate %v, want 1000 (the last 10 s)", r)
	}
	if !strings.HasPrefix(buf.String(), "\r[") || strings.Count(buf.String(), "\n") != 0 {
		t.Fatalf("terminal output %q", buf.String()[:40])
	}
	buf.Reset()
	p = newProgressBar(&buf, false, start)
	for s := range 12 {
		p.update(start.Add(time.Duration(s)*time.Second), int64(s), 100, 0)
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 { // at 0, 5 and 10 s
		t.Fatalf("%d plain lines: %q", n, buf.String())
	}
}
