#include <future>

#include "cli/cli.h"
#include "cli/demo_ecosystem.h"
#include "http/router.h"
#include "model/codec.h"
#include "model/env.h"

namespace cocreate {

namespace {

// The demo's agreements end in 2027 and 2028. Loaded later than that, an end
// moves on by whole years until it lies ahead, since an end already past is
// refused (end_passed) and the story would not load.
void KeepEndAhead(Json& body, int64_t now_ms) {
  const Json* end = body.Find("end");
  if (end == nullptr || !end->is_string() || end->as_string().size() < 4) return;
  std::string text = end->as_string();
  for (int i = 0; i < 1000; ++i) {
    auto ms = UnixMillis(text);
    if (!ms || *ms > now_ms) break;
    text = std::to_string(std::stoi(text.substr(0, 4)) + 1) + text.substr(4);
  }
  body.Set("end", Json(text));
}

}  // namespace

Status LoadDemo(Engine& engine) {
  CC_ASSIGN_OR_RETURN(Json steps, Json::Parse(kDemoEcosystemJson));
  if (!steps.is_array()) return Internal("the demo script is not a list of steps");
  HttpCounters counters;
  Router router(engine, counters, 8 * 1024 * 1024);
  for (size_t i = 0; i < steps.items().size(); ++i) {
    const Json& step = steps.items()[i];
    std::string as = StrOr(step, "as", "admin");
    Principal principal = as == "admin" ? Principal::Admin() : Principal::Member(as);
    HttpRequest request;
    request.method = StrOr(step, "method", "POST");
    request.target = StrOr(step, "path");
    request.content_type = "application/json";
    if (const Json* body = step.Find("body")) {
      Json copy = *body;
      if (request.target.ends_with("/proposals")) {
        KeepEndAhead(copy, UnixMillis(Env::Default()->Now()).value_or(0));
      }
      request.body = copy.Dump();
    }
    std::promise<HttpResponse> done;
    router.HandleAs(principal, request, [&done](HttpResponse r) { done.set_value(std::move(r)); });
    HttpResponse response = done.get_future().get();
    if (response.status >= 300) {
      return Internal("demo step " + std::to_string(i + 1) + " (" + request.method + " " +
                      request.target + " as " + as + ") failed with " +
                      std::to_string(response.status) + ": " + response.body);
    }
  }
  return Status::Ok();
}

}  // namespace cocreate
