// Server: the HTTP/1.1 front of the router on Boost.Beast, with keep-alive,
// a body limit, header and idle timeouts, a connection cap, Server-Sent
// Events, and a graceful stop on SIGTERM/SIGINT. Every answer carries a
// `Request-Id` header and is logged as one JSON line (model/log.h); a
// request whose framing is in doubt (RFC 9112 §6.3) is answered 400 and
// its connection closed.
#ifndef COCREATE_HTTP_SERVER_H_
#define COCREATE_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "http/router.h"

namespace cocreate {

struct ServerOptions {
  std::string host = "127.0.0.1";  // Default: loopback only.
  uint16_t port = 8080;            // 0 picks a free port.
  size_t max_body_bytes = 8 * 1024 * 1024;  // Default 8 MiB; larger answers 413.
  int threads = 0;                 // 0: one per core.
  int request_timeout_seconds = 30;  // idle keep-alive and header/body read limit
  size_t max_connections = 4096;     // over it, new connections get 503
  // When not empty, a second address serving /metrics without a token (and
  // /healthz); on the main address /metrics needs the admin token.
  std::string metrics_host;
  uint16_t metrics_port = 0;
  // Serve the web UI from this folder instead of the embedded files.
  std::string web_dir;
  // Called once the listener is bound, with the port it got.
  std::function<void(uint16_t)> on_listening;
};

// Serves until SIGTERM or SIGINT, then stops accepting, lets requests in
// flight finish (at most 10 s), stops the engine (Engine::Stop: its queued
// writes are answered first) and returns. Errors: Unavailable when an
// address cannot be bound.
Status Serve(Engine& engine, const ServerOptions& options);

}  // namespace cocreate

#endif  // COCREATE_HTTP_SERVER_H_
