#include "cli/cli.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "http/server.h"
#include "store/store.h"

namespace cocreate {

namespace {

#ifndef COCREATE_VERSION
#define COCREATE_VERSION "dev"
#endif

struct ServeArgs {
  std::string data_dir = "./cocreate-data";
  std::string listen = "127.0.0.1:8080";
  std::string store = "sqlite";
  bool demo = false;
  int threads = 0;
};

// Splits HOST:PORT; [v6]:PORT is accepted too.
bool ParseListen(const std::string& listen, std::string& host, uint16_t& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  int value = std::stoi(p);
  if (value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

StatusOr<std::unique_ptr<Engine>> OpenEngine(const std::string& data_dir,
                                             const std::string& store_spec, bool& generated) {
  StoreOptions store_options;
  store_options.spec = store_spec;
  store_options.data_dir = data_dir;
  CC_ASSIGN_OR_RETURN(std::unique_ptr<EventStore> store, EventStore::Open(store_options));
  EngineOptions options;
  CC_ASSIGN_OR_RETURN(options.admin_token, AdminToken(data_dir, generated));
  return Engine::Open(std::move(store), options);
}

int Serve(const ServeArgs& args) {
  std::string host;
  uint16_t port = 0;
  if (!ParseListen(args.listen, host, port)) {
    std::cerr << "cocreate: --listen must be HOST:PORT (for example 127.0.0.1:8080), not '"
              << args.listen << "'\n";
    return 2;
  }
  bool generated = false;
  auto engine = OpenEngine(args.data_dir, args.store, generated);
  if (!engine.ok()) {
    std::cerr << "cocreate: cannot start: " << engine.status().message() << "\n";
    return 1;
  }
  auto token = AdminToken(args.data_dir, generated);
  if (generated) {
    std::cout << "admin token (printed once; also in " << args.data_dir
              << "/admin.token): " << *token << std::endl;
  }
  if (args.demo) {
    if ((*engine)->last_seq() == 0) {
      Status loaded = LoadDemo(**engine);
      if (!loaded.ok()) {
        std::cerr << "cocreate: the demo ecosystem did not load: " << loaded.message() << "\n";
        return 1;
      }
      std::cout << "demo ecosystem loaded: " << (*engine)->last_seq() << " events" << std::endl;
    } else {
      std::cout << "demo not loaded: the store already holds " << (*engine)->last_seq()
                << " events" << std::endl;
    }
  }
  ServerOptions options;
  options.host = host;
  options.port = port;
  options.threads = args.threads;
  options.on_listening = [&](uint16_t bound) {
    std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::cout << fmt::format("cocreate {} serving on http://{}:{} (store: {}, {} events)",
                             COCREATE_VERSION, shown, bound, (*engine)->StoreName(),
                             (*engine)->last_seq())
              << std::endl;
  };
  Status served = cocreate::Serve(**engine, options);
  (*engine)->Stop();
  if (!served.ok()) {
    std::cerr << "cocreate: " << served.message() << "\n";
    return 1;
  }
  std::cout << "cocreate stopped" << std::endl;
  return 0;
}

int Export(const std::string& data_dir, const std::string& store_spec) {
  StoreOptions options;
  options.spec = store_spec;
  options.data_dir = data_dir;
  auto store = EventStore::Open(options);
  if (!store.ok()) {
    std::cerr << "cocreate: " << store.status().message() << "\n";
    return 1;
  }
  Status st = (*store)->Scan(0, [](Event e) {
    Json line = Json::MakeObject({{"seq", Json(e.seq)}, {"type", Json(e.type)}, {"at", Json(e.at)},
                                  {"actor", Json(e.actor)}, {"subject", Json(e.subject)},
                                  {"data", e.data}});
    std::cout << line.Dump() << "\n";
    return Status::Ok();
  });
  if (!st.ok()) {
    std::cerr << "cocreate: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

StatusOr<std::string> AdminToken(const std::string& data_dir, bool& generated) {
  if (const char* env = std::getenv("COCREATE_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  std::string path = data_dir + "/admin.token";
  {
    std::ifstream in(path);
    std::string token;
    if (in && std::getline(in, token) && !token.empty()) return token;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  std::string token = "cc_admin_" + Env::Default()->RandomHex(24);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Unavailable("cannot write " + path);
    out << token << "\n";
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot write " + path + ": " + ec.message());
  generated = true;
  return token;
}

int RunCli(int argc, char** argv) {
  CLI::App app{"cocreate: the service relationship engine (ITIL 4 service relationship model)",
               "cocreate"};
  app.set_version_flag("--version,-V", std::string("cocreate ") + COCREATE_VERSION);
  app.require_subcommand(1);

  ServeArgs serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API (and /healthz, /metrics)");
  serve_cmd->add_option("--data-dir", serve.data_dir, "Folder for the embedded database and admin.token")
      ->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen, "Address to listen on, HOST:PORT")
      ->capture_default_str();
  serve_cmd->add_option("--store", serve.store, "sqlite (embedded, default) or sqlite:PATH")
      ->capture_default_str();
  serve_cmd->add_flag("--demo", serve.demo, "Load the demo ecosystem into an empty store");
  serve_cmd->add_option("--threads", serve.threads, "HTTP threads (default: one per core)")
      ->check(CLI::Range(0, 256));

  std::string export_dir = "./cocreate-data";
  std::string export_store = "sqlite";
  CLI::App* export_cmd =
      app.add_subcommand("export", "Write every event as one JSON object per line to stdout");
  export_cmd->add_option("--data-dir", export_dir, "Folder of the embedded database")
      ->capture_default_str();
  export_cmd->add_option("--store", export_store, "sqlite or sqlite:PATH")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed()) return Serve(serve);
  if (export_cmd->parsed()) return Export(export_dir, export_store);
  return 2;
}

}  // namespace cocreate
