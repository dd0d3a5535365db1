#include "cli/cli.h"

#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "engine/generator.h"
#include "http/server.h"
#include "http/webhook_sender.h"
#include "http/static_files.h"
#include "import/import.h"
#include "model/codec.h"
#include "model/env.h"
#include "model/log.h"
#include "rules/state.h"
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
  std::string web_dir;
  std::string metrics_listen;  // empty: /metrics only on --listen, for the admin token
  std::string log_level = "info";
  bool webhooks_allow_private = false;
  double webhooks_retry_for = 24 * 3600;  // seconds; shorter only in tests
  double webhooks_timeout = 10;           // seconds; shorter only in tests
  int64_t checkpoint_every = 250000;      // events; 0: only on a clean stop
};

// The shortest COCREATE_ADMIN_TOKEN `serve` accepts (CONTRACT §9.6).
constexpr size_t kMinAdminTokenLength = 32;

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

// Every command that writes through the engine keeps the data folder's
// checkpoint (docs/scaling.md): it starts from it and leaves a new one.
StatusOr<std::unique_ptr<Engine>> OpenEngine(const std::string& data_dir,
                                             const std::string& store_spec, bool& generated,
                                             bool webhooks_allow_private = false,
                                             int64_t checkpoint_every = 250000) {
  StoreOptions store_options;
  store_options.spec = store_spec;
  store_options.data_dir = data_dir;
  CC_ASSIGN_OR_RETURN(std::unique_ptr<EventStore> store, EventStore::Open(store_options));
  EngineOptions options;
  CC_ASSIGN_OR_RETURN(options.admin_token, AdminToken(data_dir, generated));
  options.webhooks_allow_private = webhooks_allow_private;
  options.checkpoint_path = data_dir + "/checkpoint";
  options.checkpoint_every = checkpoint_every;
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
  std::string metrics_host;
  uint16_t metrics_port = 0;
  if (!args.metrics_listen.empty() &&
      !ParseListen(args.metrics_listen, metrics_host, metrics_port)) {
    std::cerr << "cocreate: --metrics-listen must be HOST:PORT (for example 127.0.0.1:9090), not '"
              << args.metrics_listen << "'\n";
    return 2;
  }
  LogLevel level;
  if (!ParseLogLevel(args.log_level, level)) {
    std::cerr << "cocreate: --log-level must be debug, info, warn, error or off, not '"
              << args.log_level << "'\n";
    return 2;
  }
  if (const char* env = std::getenv("COCREATE_ADMIN_TOKEN"); env != nullptr) {
    if (*env == '\0') {
      std::cerr << "cocreate: COCREATE_ADMIN_TOKEN is set but empty: unset it to have a token "
                   "generated, or give one of at least "
                << kMinAdminTokenLength << " characters\n";
      return 2;
    }
    if (std::strlen(env) < kMinAdminTokenLength) {
      std::cerr << "cocreate: COCREATE_ADMIN_TOKEN is too short: the admin token must be at least "
                << kMinAdminTokenLength << " characters\n";
      return 2;
    }
  }
  // A log reader that goes away (a closed stderr pipe) must not stop the
  // server: its lines are dropped (model/log.h), the requests go on.
  ::signal(SIGPIPE, SIG_IGN);
  InitLog(level);
  if (!args.web_dir.empty() && !StaticFiles(args.web_dir).HasIndex()) {
    std::cerr << "cocreate: --web-dir " << args.web_dir << " has no index.html\n";
    return 2;
  }
  bool generated = false;
  auto engine = OpenEngine(args.data_dir, args.store, generated, args.webhooks_allow_private,
                           args.checkpoint_every);
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
  options.web_dir = args.web_dir;
  options.metrics_host = metrics_host;
  options.metrics_port = metrics_port;
  options.on_listening = [&](uint16_t bound) {
    std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::cout << fmt::format("cocreate {} serving on http://{}:{} (store: {}, {} events)",
                             COCREATE_VERSION, shown, bound, (*engine)->StoreName(),
                             (*engine)->last_seq())
              << std::endl;
  };
  WebhookSenderOptions sender_options;
  sender_options.allow_private = args.webhooks_allow_private;
  sender_options.retry_window_ms = static_cast<int64_t>(args.webhooks_retry_for * 1000);
  sender_options.timeout_ms = static_cast<int64_t>(args.webhooks_timeout * 1000);
  WebhookSender sender(**engine, sender_options);
  sender.Start();
  Status served = cocreate::Serve(**engine, options);
  // The committer first (Serve stopped it; its last rounds may write
  // deliveries), then the sender, which finishes and records the attempts
  // in flight.
  (*engine)->Stop();
  sender.Stop();
  if (!served.ok()) {
    std::cerr << "cocreate: " << served.message() << "\n";
    return 1;
  }
  std::cout << "cocreate stopped" << std::endl;
  return 0;
}

StatusOr<std::unique_ptr<EventStore>> OpenStore(const std::string& data_dir,
                                                const std::string& spec) {
  StoreOptions options;
  options.spec = spec;
  options.data_dir = data_dir;
  return EventStore::Open(options);
}

// One event per line: seq, type, at, actor, subject, data, and `private`
// (request bodies for idempotent retries, token digests) so that an import
// restores the installation exactly.
int Export(const std::string& data_dir, const std::string& store_spec) {
  auto store = OpenStore(data_dir, store_spec);
  if (!store.ok()) {
    std::cerr << "cocreate: " << store.status().message() << "\n";
    return 1;
  }
  Status st = (*store)->Scan(0, [](Event e) {
    Json line = Json::MakeObject({{"seq", Json(e.seq)},
                                  {"type", Json(EventTypeName(e.type))},
                                  {"at", Json(e.at)},
                                  {"actor", Json(e.actor)},
                                  {"subject", Json(e.subject)},
                                  {"data", e.data},
                                  {"private", e.private_data}});
    std::cout << line.Dump() << "\n";
    return Status::Ok();
  });
  if (!st.ok()) {
    std::cerr << "cocreate: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

// Reads an export from `in` into an empty store: every event is checked by
// replaying it (so a broken or reordered file changes nothing), then all are
// appended in one transaction.
int Import(const std::string& data_dir, const std::string& store_spec, std::istream& in) {
  auto store = OpenStore(data_dir, store_spec);
  if (!store.ok()) {
    std::cerr << "cocreate: " << store.status().message() << "\n";
    return 1;
  }
  auto last = (*store)->LastSeq();
  if (!last.ok() || *last != 0) {
    std::cerr << "cocreate: import needs an empty store; " << data_dir << " holds "
              << (last.ok() ? *last : -1) << " events\n";
    return 1;
  }
  State state;
  std::vector<Event> events;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto fail = [&](const std::string& why) {
      std::cerr << "cocreate: line " << line_no << ": " << why << "; nothing was imported\n";
      return 1;
    };
    auto j = Json::Parse(line, Json::kMaxStoredDepth + 1);
    if (!j.ok()) return fail(j.status().message());
    const Json* seq = j->Find("seq");
    if (seq == nullptr || !seq->is_int()) return fail("no integer 'seq'");
    Event e;
    e.seq = seq->as_int();
    const std::string type = StrOr(*j, "type");
    std::optional<EventType> known = EventTypeFromName(type);
    if (!known) return fail("'" + type + "' is not an event type");
    e.type = *known;
    e.at = StrOr(*j, "at");
    e.actor = StrOr(*j, "actor");
    e.subject = StrOr(*j, "subject");
    if (const Json* d = j->Find("data"); d != nullptr) e.data = *d;
    if (const Json* p = j->Find("private"); p != nullptr) e.private_data = *p;
    Status applied = state.Apply(e);
    if (!applied.ok()) return fail(applied.message());
    events.push_back(std::move(e));
  }
  if (events.empty()) {
    // Most likely an export that failed (its error went to its stderr).
    std::cerr << "cocreate: no events on stdin; nothing was imported\n";
    return 1;
  }
  // What each event cannot show alone: the log as a whole must be one the
  // rules could have written (a hand-edited grant or degradation is refused).
  if (Status consistent = CheckConsistency(state, events); !consistent.ok()) {
    std::cerr << "cocreate: the log contradicts itself: " << consistent.message()
              << "; nothing was imported\n";
    return 1;
  }
  Status st = (*store)->Append(events);
  if (!st.ok()) {
    std::cerr << "cocreate: " << st.message() << "; nothing was imported\n";
    return 1;
  }
  std::cout << "imported " << events.size() << " events" << std::endl;
  return 0;
}

// Count and SHA-256 of a store's log, over every field of every event.
struct LogDigest {
  int64_t events = 0;
  std::string sha256;
};

StatusOr<LogDigest> DigestLog(EventStore& store) {
  std::string text;
  LogDigest d;
  CC_RETURN_IF_ERROR(store.Scan(0, [&](Event e) {
    ++d.events;
    text += std::to_string(e.seq) + '\x1f' + std::string(EventTypeName(e.type)) + '\x1f' + e.at +
            '\x1f' + e.actor +
            '\x1f' + e.subject + '\x1f' + e.data.Dump() + '\x1f' + e.private_data.Dump() + '\n';
    return Status::Ok();
  }));
  d.sha256 = Sha256Hex(text);
  return d;
}

// A store spec for migrate: sqlite:PATH where PATH is a database file or a
// data dir holding cocreate.db, or a postgresql:// URL.
StatusOr<std::unique_ptr<EventStore>> OpenSpec(std::string spec, bool must_exist) {
  if (spec.rfind("sqlite:", 0) == 0 && std::filesystem::is_directory(spec.substr(7))) {
    spec += "/cocreate.db";
  }
  if (must_exist && spec.rfind("sqlite:", 0) == 0 && !std::filesystem::exists(spec.substr(7))) {
    return Status(Code::kInvalidArgument, "no_such_store",
                  "no SQLite database at " + spec.substr(7));
  }
  StoreOptions options;
  options.spec = spec;
  return EventStore::Open(options);
}

// Copies every event of one store into another, empty one, in one
// transaction, after checking the log by replaying it; then compares counts
// and checksums of both logs.
int Migrate(const std::string& from, const std::string& to) {
  auto fail = [](const std::string& why) {
    std::cerr << "cocreate: migrate: " << why << "\n";
    return 1;
  };
  auto source = OpenSpec(from, true);
  if (!source.ok()) return fail(source.status().message());
  auto target = OpenSpec(to, false);
  if (!target.ok()) return fail(target.status().message());
  auto last = (*target)->LastSeq();
  if (!last.ok()) return fail(last.status().message());
  if (*last != 0) return fail("the target already holds " + std::to_string(*last) + " events");
  auto before = DigestLog(**source);
  if (!before.ok()) return fail(before.status().message());
  std::vector<Event> events;
  State check;
  Status read = (*source)->Scan(0, [&](Event e) {
    CC_RETURN_IF_ERROR(check.Apply(e));
    events.push_back(std::move(e));
    return Status::Ok();
  });
  if (!read.ok()) return fail(read.message() + "; nothing was written");
  Status written = (*target)->Append(events);
  if (!written.ok()) return fail(written.message() + "; nothing was written");
  auto after = DigestLog(**target);
  if (!after.ok()) return fail(after.status().message());
  std::cout << "source: " << before->events << " events, sha256 " << before->sha256 << "\n"
            << "target: " << after->events << " events, sha256 " << after->sha256 << std::endl;
  if (before->events != after->events || before->sha256 != after->sha256) {
    return fail("the copy differs from the source");
  }
  std::cout << "migrated and verified" << std::endl;
  return 0;
}

// `cocreate import --format backstage|csv [--kind K] PATH` (CONTRACT §9.23):
// prints the report; 0 when nothing was refused, 2 otherwise (and for a
// format, kind or path that cannot be read), 1 when the store cannot open.
int ImportCatalogCmd(const std::string& data_dir, const std::string& store_spec,
                     const std::string& format, const std::string& kind, const std::string& path) {
  if (path.empty()) {
    std::cerr << "cocreate: import --format " << format << " needs a PATH (a file or a folder)\n";
    return 2;
  }
  if ((format == "csv") == kind.empty()) {
    std::cerr << "cocreate: --kind organizations|resources|services goes with --format csv, "
                 "and only with it\n";
    return 2;
  }
  bool generated = false;
  auto engine = OpenEngine(data_dir, store_spec, generated);
  if (!engine.ok()) {
    std::cerr << "cocreate: " << engine.status().message() << "\n";
    return 1;
  }
  auto started = std::chrono::steady_clock::now();
  StatusOr<ImportReport> report = ImportPath(**engine, format, kind, path);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  (*engine)->Stop();
  if (!report.ok()) {
    std::cerr << "cocreate: " << report.status().message() << "\n";
    return 2;
  }
  std::cout << report->ToJson() << std::endl;
  int64_t entities = report->created + report->updated + report->unchanged +
                     static_cast<int64_t>(report->refused.size());
  std::cerr << fmt::format("imported {} entities in {:.3f} s ({:.0f} entities/s)\n", entities,
                           seconds, entities / std::max(seconds, 1e-9));
  return report->refused.empty() ? 0 : 2;
}

// Writes a synthetic ecosystem into an empty store through the rules.
int GenerateCmd(const std::string& data_dir, const std::string& store_spec,
                const GeneratorOptions& options) {
  bool generated = false;
  auto engine = OpenEngine(data_dir, store_spec, generated);
  if (!engine.ok()) {
    std::cerr << "cocreate: " << engine.status().message() << "\n";
    return 1;
  }
  if ((*engine)->last_seq() != 0) {
    std::cerr << "cocreate: generate needs an empty store; it holds " << (*engine)->last_seq()
              << " events\n";
    return 1;
  }
  auto started = std::chrono::steady_clock::now();
  auto stats = Generate(**engine, options);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!stats.ok()) {
    std::cerr << "cocreate: generate stopped: " << stats.status().message() << "\n";
    return 1;
  }
  int64_t nodes = 0;
  (*engine)->Inspect([&](const State& s) {
    for (int n = 0; n < 7; ++n) nodes += static_cast<int64_t>(s.Ids(static_cast<Noun>(n)).size());
  });
  std::cout << fmt::format("generated {} organizations: {} objects, {} commands, {} events in "
                           "{:.1f} s ({:.0f} events/s)",
                           options.organizations, nodes, stats->commands, stats->events, seconds,
                           stats->events / std::max(seconds, 1e-9))
            << std::endl;
  return stats->rejected == 0 ? 0 : 1;
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
  CC_RETURN_IF_ERROR(CreatePrivateDir(data_dir));
  std::string token = "cc_admin_" + Env::Default()->RandomHex(24);
  // The temporary file is created 0600 (O_EXCL, after removing a leftover of
  // a crash), so the token is never readable by others, not even briefly;
  // then it is synced and renamed into place.
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  std::string line = token + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                 ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return Unavailable("cannot write " + tmp + ": " + std::strerror(saved));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot write " + path + ": " + ec.message());
  generated = true;
  return token;
}

namespace {
// True when `list` ("a=1:b=2" for glibc, "a:1,b:2" for jemalloc) sets `name`.
bool NamesOption(std::string_view list, char separator, char equals, std::string_view name) {
  while (!list.empty()) {
    const size_t end = list.find(separator);
    const std::string_view item = list.substr(0, end);
    if (item.substr(0, item.find(equals)) == name) return true;
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return false;
}

// A large state is millions of small allocations: with 4 KiB pages every one
// of them first touches a fresh page, and on the 2-core VM we measure on a
// start from a checkpoint at 1 M objects takes 3-5 s that way and about 1 s on
// transparent huge pages. jemalloc (the server's allocator, main.cc) asks for
// them through its malloc_conf; glibc's malloc only when the tunable
// glibc.malloc.hugetlb is set when the process starts. So the process runs
// itself again, once, with a variable added (docs/operations.md): on glibc to
// set the tunable, unless COCREATE_MALLOC_HUGEPAGES=0 or the tunable is set;
// on jemalloc only when COCREATE_MALLOC_HUGEPAGES=0 asks it to stay off huge
// pages (MALLOC_CONF=thp:never), unless MALLOC_CONF already sets "thp".
// Never when the process is privileged (setuid or file capabilities: both
// drop the variable there, so it would never see it set) or was started
// through the dynamic loader (/proc/self/exe is then the loader). Nothing
// has run yet: no thread, no file, no output.
void RunWithMallocHugePages(char** argv, Allocator allocator) {
  constexpr const char* kMarker = "COCREATE_MALLOC_HUGEPAGES_SET";
  if (std::getenv(kMarker) != nullptr) {  // this is the second run
    ::unsetenv(kMarker);
    return;
  }
  const char* opt_out = std::getenv("COCREATE_MALLOC_HUGEPAGES");
  const bool off = opt_out != nullptr && std::strcmp(opt_out, "0") == 0;
  const bool glibc = allocator == Allocator::kGlibc;
  if (glibc == off) return;  // nothing to change
  const char* variable = glibc ? "GLIBC_TUNABLES" : "MALLOC_CONF";
  const char* key = glibc ? "glibc.malloc.hugetlb" : "thp";
  const char* addition = glibc ? "glibc.malloc.hugetlb=1" : "thp:never,metadata_thp:disabled";
  if (::getauxval(AT_SECURE) != 0) return;
  const char* set = std::getenv(variable);
  const bool was_set = set != nullptr;
  const std::string before = was_set ? set : "";  // setenv may free `set`
  std::string value = before;
  if (NamesOption(value, glibc ? ':' : ',', glibc ? '=' : ':', key)) return;
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  const std::string_view name =
      std::string_view(path).substr(std::string_view(path).rfind('/') + 1);
  if (name.starts_with("ld-") || name.starts_with("ld.so")) return;
  if (!value.empty()) value += glibc ? ":" : ",";
  value += addition;
  if (::setenv(variable, value.c_str(), 1) != 0 || ::setenv(kMarker, "1", 1) != 0) return;
  // The path it was started by (a symlink's own name, say), so the process
  // keeps its name (ps, pgrep, journald); else the real path.
  const auto* started_as = reinterpret_cast<const char*>(::getauxval(AT_EXECFN));
  ::execv(started_as != nullptr ? started_as : path, argv);
  ::unsetenv(kMarker);  // could not: go on as we are
  ::unsetenv(variable);
  if (was_set) ::setenv(variable, before.c_str(), 1);
}
}  // namespace

int RunCli(int argc, char** argv, Allocator allocator) {
  RunWithMallocHugePages(argv, allocator);
  CLI::App app{"cocreate: the service relationship engine (ITIL 4 service relationship model)",
               "cocreate"};
  app.set_version_flag("--version,-V",
                       std::string("cocreate ") + COCREATE_VERSION + "\nweb UI: " +
                           (EmbeddedWebFiles().empty()
                                ? std::string("not built in")
                                : "built in (" + std::to_string(EmbeddedWebFiles().size()) +
                                      " files)") +
                           "\nallocator: " +
                           (allocator == Allocator::kJemalloc ? "jemalloc" : "glibc"));
  app.require_subcommand(1);

  ServeArgs serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API (and /healthz, /metrics)");
  serve_cmd
      ->add_option("--data-dir", serve.data_dir, "Folder for the embedded database and admin.token")
      ->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen, "Address to listen on, HOST:PORT")
      ->capture_default_str();
  serve_cmd
      ->add_option("--store", serve.store,
                   "sqlite (embedded, default), sqlite:PATH or postgresql://USER@HOST:PORT/DB")
      ->capture_default_str();
  serve_cmd->add_flag("--demo", serve.demo, "Load the demo ecosystem into an empty store");
  serve_cmd->add_option(
      "--web-dir", serve.web_dir,
      "Serve the web UI from this folder (default: the UI built into the binary)");
  serve_cmd->add_option("--threads", serve.threads, "HTTP threads (default: one per core)")
      ->check(CLI::Range(0, 256));
  serve_cmd->add_option("--metrics-listen", serve.metrics_listen,
                        "Also serve /metrics without a token on this HOST:PORT (on --listen "
                        "it needs the admin token)");
  serve_cmd->add_flag("--webhooks-allow-private", serve.webhooks_allow_private,
                      "Let webhooks target loopback and private addresses (tests, labs)");
  // For tests only, so they need not wait a day or ten seconds (docs/api.md).
  serve_cmd->add_option("--webhooks-retry-for", serve.webhooks_retry_for,
                        "How long a failing webhook delivery is retried, in seconds (tests)")
      ->check(CLI::Range(0.0, 30.0 * 24 * 3600))
      ->group("");
  serve_cmd->add_option("--webhooks-timeout", serve.webhooks_timeout,
                        "One webhook delivery attempt's deadline, in seconds (tests)")
      ->check(CLI::Range(0.1, 60.0))
      ->group("");
  serve_cmd->add_option("--log-level", serve.log_level,
                        "debug, info (one JSON line per request), warn, error or off; to stderr")
      ->capture_default_str();

  serve_cmd->add_option("--checkpoint-every", serve.checkpoint_every,
                        "Write a checkpoint (DATA_DIR/checkpoint) after this many events, and "
                        "on a clean stop; 0: only on a clean stop")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();

  std::string log_dir = "./cocreate-data";
  std::string log_store = "sqlite";
  CLI::App* export_cmd =
      app.add_subcommand("export", "Write every event as one JSON object per line to stdout");
  CLI::App* import_cmd = app.add_subcommand(
      "import",
      "Without --format: load an export (JSON lines on stdin) into an empty store, all or "
      "nothing. With --format: import a Backstage or CSV catalog from PATH through the rules");
  std::string import_format, import_kind, import_path;
  import_cmd->add_option("--format", import_format, "backstage or csv (a catalog at PATH)")
      ->check(CLI::IsMember({"backstage", "csv"}));
  import_cmd->add_option("--kind", import_kind, "For csv: organizations, resources or services")
      ->check(CLI::IsMember({"organizations", "resources", "services"}));
  import_cmd->add_option("path", import_path,
                         "A catalog-info.yaml or CSV file, or a folder of them (with --format)");
  for (CLI::App* cmd : {export_cmd, import_cmd}) {
    cmd->add_option("--data-dir", log_dir, "Folder of the embedded database")
        ->capture_default_str();
    cmd->add_option("--store", log_store, "sqlite, sqlite:PATH or postgresql://...")
        ->capture_default_str();
  }

  std::string migrate_from, migrate_to;
  CLI::App* migrate_cmd = app.add_subcommand(
      "migrate", "Copy every event into another, empty store and verify counts and checksums");
  migrate_cmd
      ->add_option("--from", migrate_from, "sqlite:PATH (file or data dir) or postgresql://...")
      ->required();
  migrate_cmd->add_option("--to", migrate_to, "postgresql://USER@HOST:PORT/DB or sqlite:PATH")
      ->required();

  GeneratorOptions gen;
  std::string gen_dir = "./cocreate-data", gen_store = "sqlite";
  CLI::App* generate_cmd = app.add_subcommand(
      "generate", "Write a synthetic ecosystem into an empty store, through the rules");
  generate_cmd->add_option("--organizations", gen.organizations, "How many organizations")
      ->check(CLI::Range(int64_t{4}, int64_t{100'000'000}))
      ->capture_default_str();
  generate_cmd->add_option("--fanout", gen.fanout,
                           "Edges per provider (0: sparse; about F/3 edges per node)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  std::string gen_shape = "tiers";
  generate_cmd->add_option("--shape", gen_shape,
                           "tiers: tiers with power-law preference; hubs: the same beneath a few "
                           "hyperscalers everything builds on")
      ->check(CLI::IsMember({"tiers", "hubs"}))
      ->capture_default_str();
  generate_cmd->add_option("--seed", gen.seed, "Random seed (same seed, same ecosystem)")
      ->capture_default_str();
  generate_cmd->add_option("--data-dir", gen_dir, "Folder of the embedded database")
      ->capture_default_str();
  generate_cmd->add_option("--store", gen_store, "sqlite, sqlite:PATH or postgresql://...")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed()) return Serve(serve);
  // The other commands answer on stdout (a report, an export): their log
  // lines (warnings and errors only) go to stderr as JSON, as serve's do.
  InitLog(LogLevel::kWarn);
  if (export_cmd->parsed()) return Export(log_dir, log_store);
  if (import_cmd->parsed()) {
    if (!import_format.empty()) {
      return ImportCatalogCmd(log_dir, log_store, import_format, import_kind, import_path);
    }
    if (!import_path.empty() || !import_kind.empty()) {
      std::cerr << "cocreate: PATH and --kind go with --format backstage|csv; an export is read "
                   "from stdin\n";
      return 2;
    }
    return Import(log_dir, log_store, std::cin);
  }
  if (migrate_cmd->parsed()) return Migrate(migrate_from, migrate_to);
  if (generate_cmd->parsed()) {
    gen.shape = gen_shape == "hubs" ? GeneratorShape::kHubs : GeneratorShape::kTiers;
    return GenerateCmd(gen_dir, gen_store, gen);
  }
  return 2;
}

}  // namespace cocreate
