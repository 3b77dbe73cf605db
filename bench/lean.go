package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

// The lean client: what the scenarios with a pgbench reference (form, form-shared,
// get) send their requests with, unless -client go. pgbench is a small C program; Go's
// net/http client (a goroutine pair per connection, header maps, the request's
// context and the pool's bookkeeping) took 22 % of the CPU of a `get` run on the same
// two cores, against pgbench's 14 % of its own run, so the ratio partly measured the
// load tools. This one writes a prebuilt HTTP/1.1 request on a keep-alive connection
// and reads the status line, the headers it needs (Content-Length, chunked transfer
// coding, Connection: close) and the body — one request in flight per connection, the
// next written only after the whole answer was read, as net/http and pgbench do.

// leanClient is one keep-alive connection per worker.
type leanClient struct {
	host, key string
	conns     []leanConn
	bufs      [][]byte // each worker's request being built
}

func newLeanClient(base, key string, workers int) (*leanClient, error) {
	addr, err := leanAddr(base)
	if err != nil {
		return nil, err
	}
	l := &leanClient{host: addr, key: key, conns: make([]leanConn, workers), bufs: make([][]byte, workers)}
	for i := range l.conns {
		l.conns[i].addr = addr
	}
	return l, nil
}

// send sends worker w's request req; an answer of 300 or more is a
// *benchkit.StatusError, a 2xx one goes to check when not nil.
func (l *leanClient) send(w int, req []byte, check func(body []byte) error) error {
	status, body, err := l.conns[w].do(req)
	if err != nil {
		return err
	}
	if status >= 300 {
		return &benchkit.StatusError{Status: status, Body: bytes.Clone(body)}
	}
	if check != nil {
		return check(body)
	}
	return nil
}

// post posts body as JSON to the Quentn contact endpoint from worker w.
func (l *leanClient) post(w int, body []byte, check func(body []byte) error) error {
	l.bufs[w] = leanRequest(l.bufs[w][:0], "POST", l.host, "/public/api/V1/contact", l.key, body)
	return l.send(w, l.bufs[w], check)
}

func (l *leanClient) close() {
	for i := range l.conns {
		if c := l.conns[i].conn; c != nil {
			c.Close()
		}
	}
}

// leanConn is one worker's keep-alive connection to the server.
type leanConn struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
	body []byte // the last answer's body, reused
}

// leanAddr is base's host:port for the lean client; it speaks plain HTTP only.
func leanAddr(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" {
		return "", fmt.Errorf("-client lean speaks plain http only, not %s: use -client go", u.Scheme)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80"), nil
	}
	return u.Host, nil
}

// do writes req (a whole HTTP/1.1 request) and reads the answer: its status and body
// (valid until the next call). On an error the connection is closed; the next call
// dials again.
func (l *leanConn) do(req []byte) (int, []byte, error) {
	if l.conn == nil {
		c, err := net.DialTimeout("tcp", l.addr, 5*time.Second)
		if err != nil {
			return 0, nil, err
		}
		l.conn = c
		if l.br == nil {
			l.br = bufio.NewReaderSize(c, 16<<10)
		} else {
			l.br.Reset(c)
		}
	}
	status, body, keep, err := l.roundTrip(req)
	if err != nil || !keep {
		l.conn.Close()
		l.conn = nil
	}
	return status, body, err
}

func (l *leanConn) roundTrip(req []byte) (status int, body []byte, keep bool, err error) {
	l.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err = l.conn.Write(req); err != nil {
		return 0, nil, false, err
	}
	line, err := l.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, fmt.Errorf("lean client: bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, false, fmt.Errorf("lean client: bad status line %q", line)
	}
	length, chunked, keep := -1, false, line[7] == '1'
	for {
		h, err := l.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		colon := bytes.IndexByte(h, ':')
		if colon < 0 {
			return 0, nil, false, fmt.Errorf("lean client: bad header %q", h)
		}
		name, value := h[:colon], bytes.TrimSpace(h[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, nil, false, fmt.Errorf("lean client: bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	l.body = l.body[:0]
	switch {
	case chunked:
		err = l.readChunked()
	case length >= 0:
		l.body = growTo(l.body, length)
		_, err = io.ReadFull(l.br, l.body)
	case status == 204 || status == 304:
	default:
		// No length: the body runs to the end of the connection.
		l.body, err = io.ReadAll(l.br)
		keep = false
	}
	if err != nil {
		return 0, nil, false, err
	}
	return status, l.body, keep, nil
}

// readChunked reads a chunked body into l.body.
func (l *leanConn) readChunked() error {
	for {
		line, err := l.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 32)
		if err != nil || n < 0 {
			return fmt.Errorf("lean client: bad chunk size %q", line)
		}
		if n == 0 {
			// Trailers, up to the empty line.
			for {
				t, err := l.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		start := len(l.body)
		l.body = growTo(l.body, start+int(n))
		if _, err := io.ReadFull(l.br, l.body[start:]); err != nil {
			return err
		}
		if crlf, err := l.br.ReadSlice('\n'); err != nil || len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return errors.New("lean client: chunk not followed by CRLF")
		}
	}
}

// growTo is b resized to n bytes, reusing its array when large enough.
func growTo(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return append(b[:cap(b)], make([]byte, n-cap(b))...)[:n]
}

// leanRequest appends an HTTP/1.1 request for host with the API key's bearer token
// and, when body is not nil, a JSON body.
func leanRequest(dst []byte, method, host, path, key string, body []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nAuthorization: Bearer "...)
	dst = append(dst, key...)
	if body != nil {
		dst = append(dst, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
	}
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// idOf is the value of the first "id" member of a JSON object answer (0 when none):
// the created contact's id, without decoding the whole answer.
func idOf(body []byte) int64 {
	i := bytes.Index(body, []byte(`"id":`))
	if i < 0 {
		return 0
	}
	rest := bytes.TrimLeft(body[i+5:], " ")
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	id, _ := strconv.ParseInt(string(rest[:n]), 10, 64)
	return id
}
