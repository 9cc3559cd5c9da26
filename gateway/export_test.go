package gateway

import "net/http"

// For the external tests: callTarget and its routes, and the gateway's
// mux, to hold the one to the other.
var (
	CallTarget = callTarget
	CallRoutes = callRoutes
)

func (s *Server) Mux() *http.ServeMux { return s.handler.(*http.ServeMux) }
