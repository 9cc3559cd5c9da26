package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/blob/cid"
)

// handlePutBlob stores a bundle and answers {"cid"}.
func (s *Server) handlePutBlob(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBundleBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "bundle_too_large", fmt.Sprintf("the bundle is larger than %d bytes; trim its dependencies", s.cfg.MaxBundleBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "read bundle: "+err.Error())
		return
	}
	if len(b) == 0 {
		writeError(w, http.StatusBadRequest, "empty_bundle", "the bundle is empty")
		return
	}
	id, err := s.blobs.Put(b)
	if err != nil {
		s.log.Error("store bundle", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not store the bundle")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"cid": id})
}

func (s *Server) handleGetBlob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("cid")
	if _, err := cid.Parse(id); err != nil {
		writeError(w, http.StatusBadRequest, "bad_cid", "cid: "+err.Error())
		return
	}
	b, err := s.blobs.Get(id)
	if errors.Is(err, blob.ErrNotFound) {
		writeError(w, http.StatusNotFound, "blob_not_found", "no blob "+id+" is stored here")
		return
	}
	if err != nil {
		s.log.Error("read blob", "cid", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the blob")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}
