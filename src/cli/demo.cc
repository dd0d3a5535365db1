#include <future>

#include "cli/cli.h"
#include "cli/demo_ecosystem.h"
#include "http/router.h"
#include "model/codec.h"

namespace cocreate {

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
    if (const Json* body = step.Find("body")) request.body = body->Dump();
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
