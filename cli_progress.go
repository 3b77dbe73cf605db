package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws an import's progress on a terminal: a bar, rows done of all,
// rows per second over the last seconds, the time left at that rate, and failed rows.
// Away from a terminal it writes a plain line now and then instead of redrawing one.
type progressBar struct {
	w        io.Writer
	terminal bool
	start    time.Time
	// samples are recent (time, rows done) pairs: the rate is taken over them, so it
	// follows the import's current speed rather than its average since the start.
	samples   []progressSample
	lastPlain time.Time
	drawn     bool
}

type progressSample struct {
	at   time.Time
	done int64
}

// rateWindow is how far back the rate looks.
const rateWindow = 10 * time.Second

func newProgressBar(w io.Writer, terminal bool, now time.Time) *progressBar {
	return &progressBar{w: w, terminal: terminal, start: now}
}

// update shows done of total rows, failed of them, at now.
func (p *progressBar) update(now time.Time, done, total, failed int64) {
	p.samples = append(p.samples, progressSample{now, done})
	for len(p.samples) > 2 && now.Sub(p.samples[0].at) > rateWindow {
		p.samples = p.samples[1:]
	}
	line := progressLine(done, total, failed, p.rate(), now.Sub(p.start))
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		p.drawn = true
		return
	}
	if p.lastPlain.IsZero() || now.Sub(p.lastPlain) >= 5*time.Second {
		fmt.Fprintln(p.w, line)
		p.lastPlain = now
	}
}

// finish ends the bar's line.
func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// rate is rows per second over the samples kept.
func (p *progressBar) rate() float64 {
	if len(p.samples) < 2 {
		return 0
	}
	first, last := p.samples[0], p.samples[len(p.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(last.done-first.done) / secs
}

// progressLine is one line of the bar:
//
//	[#########...........]  45%  450,000/1,000,000 rows  12,345 rows/s  ETA 0:44  failed 12
func progressLine(done, total, failed int64, rate float64, elapsed time.Duration) string {
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	filled := int(frac * width)
	var b strings.Builder
	fmt.Fprintf(&b, "[%s%s] %3d%%  %s/%s rows", strings.Repeat("#", filled), strings.Repeat(".", width-filled), int(frac*100),
		thousands(done), thousands(total))
	fmt.Fprintf(&b, "  %s rows/s", thousands(int64(rate+0.5)))
	switch {
	case done >= total:
		fmt.Fprintf(&b, "  took %s", clock(elapsed))
	case rate > 0:
		fmt.Fprintf(&b, "  ETA %s", clock(time.Duration(float64(total-done)/rate*float64(time.Second))))
	default:
		b.WriteString("  ETA -")
	}
	if failed > 0 {
		fmt.Fprintf(&b, "  failed %s", thousands(failed))
	}
	return b.String()
}

// clock writes d as h:mm:ss, or m:ss under an hour.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
