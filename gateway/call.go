package gateway

import "net/http"

// handleCall routes ANY /agents/{id}/{path...} to a worker. The agent sees
// the request at /{path...} on this gateway's origin; the receipt covers
// the path exactly as received here.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	s.workers.ServeAgent(w, r, a, "/"+r.PathValue("path"))
}
