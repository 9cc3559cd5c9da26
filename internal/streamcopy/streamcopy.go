// Package streamcopy copies a streamed response body to an HTTP response
// as it comes, flushing each piece: the gateway's streams to callers and a
// worker's streams over its link share it.
package streamcopy

import (
	"io"
	"net/http"
)

// Flushing sends the head of w at once, then copies r to w, flushing after
// each piece, until r ends. With discard the pieces are read but not
// written (a HEAD request). It returns r's error if r was cut (nil when it
// ended with io.EOF) or w's if the receiver went away; the caller decides
// what each means (trailers, an aborted response).
func Flushing(w http.ResponseWriter, r io.Reader, discard bool) (readErr, writeErr error) {
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && !discard {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil, werr
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}
