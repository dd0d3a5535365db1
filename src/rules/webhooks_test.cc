// Tests of webhook decoding and decisions (rules/webhooks.h): exact codes,
// reasons and fields for bad bodies, who may register, unsafe targets, and
// what a webhook's organization sees of the events.
#include "rules/webhooks.h"

#include <gtest/gtest.h>

#include "rules/testing.h"
#include "rules/visibility.h"

namespace cocreate {
namespace {

::testing::AssertionResult Is(const Status& s, Code code, std::string_view reason,
                              std::string_view field = "") {
  if (s.code() == code && s.reason() == reason && s.field() == field) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << HttpStatusOf(s.code()) << " " << (s.ok() ? "ok" : s.ToString())
         << " field '" << s.field() << "', want " << HttpStatusOf(code) << " " << reason
         << " field '" << field << "'";
}

StatusOr<Command> Decode(std::string_view body) {
  return DecodeRegisterWebhook(Json::Parse(body).value());
}

TEST(DecodeRegisterWebhookTest, BadBodiesNameTheField) {
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"events":["*"],"secret":"s"})", "url"},
      {R"({"url":5,"events":["*"],"secret":"s"})", "url"},
      {R"({"url":"ftp://h/","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://u:p@h/","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://h:0/","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://h:65536/","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://h:/","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://h/#f","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://h w/","events":["*"],"secret":"s"})", "url"},
      {R"({"url":"http://h/","secret":"s"})", "events"},
      {R"({"url":"http://h/","events":[],"secret":"s"})", "events"},
      {R"({"url":"http://h/","events":"*","secret":"s"})", "events"},
      {R"({"url":"http://h/","events":["*","x.y"],"secret":"s"})", "events[1]"},
      {R"({"url":"http://h/","events":[3],"secret":"s"})", "events[0]"},
      {R"({"url":"http://h/","events":["*"]})", "secret"},
      {R"({"url":"http://h/","events":["*"],"secret":""})", "secret"},
      {R"({"url":"http://h/","events":["*"],"secret":"s","exclude_actors":[1]})",
       "exclude_actors[0]"},
      {R"({"id":"-bad","url":"http://h/","events":["*"],"secret":"s"})", "id"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(Is(Decode(c.body).status(), Code::kInvalidArgument, "invalid_field", c.field))
        << c.body;
  }
  std::string long_secret = std::string(R"({"url":"http://h/","events":["*"],"secret":")") +
                            std::string(kMaxWebhookSecret + 1, 'x') + "\"}";
  EXPECT_TRUE(Is(Decode(long_secret).status(), Code::kInvalidArgument, "invalid_field", "secret"));
  EXPECT_TRUE(Is(DecodeRegisterWebhook(Json::MakeArray()).status(), Code::kInvalidArgument,
                 "invalid_field"));
}

TEST(ParseWebhookUrlTest, SplitsSchemeHostPortAndTarget) {
  auto u = ParseWebhookUrl("HTTPS://Hooks.Example.com/a/b?c=d");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/a/b?c=d");
  u = ParseWebhookUrl("http://127.0.0.1:8080?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/?x=1");
  u = ParseWebhookUrl("http://[::1]:9/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9);
}

class WebhookDecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b"}) {
      ASSERT_TRUE(world_.Create(Principal::Admin(), Noun::kOrganization,
                                std::string(R"({"id":")") + id + R"(","name":"n"})")
                      .ok());
    }
  }
  StatusOr<Decision> Register(const Principal& p, std::string_view body,
                              TargetCheck target = TargetCheck::kPublic) {
    StatusOr<Command> c = Decode(body);
    if (!c.ok()) return c.status();
    std::get<RegisterWebhook>(c->body).target = target;
    return world_.Run(p, std::move(c));
  }
  testing::Scenario world_;
};

constexpr char kHook[] = R"({"id":"h1","url":"http://h/","events":["*"],"secret":"k"})";

TEST_F(WebhookDecideTest, WhoMayRegisterInTheContractsOrder) {
  Principal viewer{Role::kViewer, "a"};
  // 403 before 422: a viewer with an unsafe target is told it may not write.
  EXPECT_TRUE(Is(Register(viewer, kHook, TargetCheck::kUnsafe).status(), Code::kPermissionDenied,
                 "forbidden"));
  EXPECT_TRUE(Is(Register(Principal::Member("a"),
                          R"({"organization":"b","url":"http://h/","events":["*"],"secret":"k"})")
                     .status(),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Register(Principal::Member("a"), kHook, TargetCheck::kUnsafe).status(),
                 Code::kUnprocessable, "unsafe_target", "url"));
  EXPECT_TRUE(Is(Register(Principal::Admin(),
                          R"({"organization":"zz","url":"http://h/","events":["*"],"secret":"k"})")
                     .status(),
                 Code::kUnprocessable, "unknown_reference", "organization"));
  auto made = Register(Principal::Member("a"), kHook);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(made->created);
  EXPECT_EQ(made->shows, Decision::Shows::kWebhook);
  const WebhookRecord* w = world_.state().FindWebhook("h1");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->organization, "a");
  EXPECT_EQ(w->secret, "k");
  // The event carries no secret a client could read.
  const Event& e = world_.events()[static_cast<size_t>(w->seq) - 1];
  EXPECT_EQ(e.type, EventType::kWebhookRegistered);
  EXPECT_EQ(e.data.Dump().find("\"k\""), std::string::npos);
  // A retry is safe (no event); another body under the id is 409; so is
  // another organization's retry.
  int64_t seq = world_.state().last_seq();
  auto retry = Register(Principal::Member("a"), kHook);
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->created);
  EXPECT_EQ(world_.state().last_seq(), seq);
  EXPECT_TRUE(Is(Register(Principal::Member("b"), kHook).status(), Code::kConflict,
                 "duplicate_id"));
  EXPECT_TRUE(Is(Register(Principal::Member("a"),
                          R"({"id":"h1","url":"http://h/","events":["*"],"secret":"other"})")
                     .status(),
                 Code::kConflict, "duplicate_id"));
}

TEST_F(WebhookDecideTest, DeleteAndCloseRemoveIt) {
  ASSERT_TRUE(Register(Principal::Member("a"), kHook).ok());
  EXPECT_TRUE(Is(world_.Run(Principal::Member("b"), DecodeDeleteWebhook("h1")).status(),
                 Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(world_.Run(Principal{Role::kViewer, "a"}, DecodeDeleteWebhook("h1")).status(),
                 Code::kPermissionDenied, "forbidden"));
  auto deleted = world_.Run(Principal::Member("a"), DecodeDeleteWebhook("h1"));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->shows, Decision::Shows::kNothing);  // 204
  EXPECT_TRUE(world_.state().FindWebhook("h1")->deleted);
  EXPECT_TRUE(Is(world_.Run(Principal::Member("a"), DecodeDeleteWebhook("h1")).status(),
                 Code::kNotFound, "not_found"));
  // Closing an organization deletes its live webhooks (CONTRACT §9.16).
  ASSERT_TRUE(Register(Principal::Member("b"),
                       R"({"id":"h2","url":"http://h/","events":["*"],"secret":"k"})")
                  .ok());
  auto closed = world_.Run(Principal::Admin(), DecodeRetire(Noun::kOrganization, "b", nullptr));
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_TRUE(world_.state().FindWebhook("h2")->deleted);
  EXPECT_EQ(world_.events().back().type, EventType::kWebhookDeleted);
}

TEST_F(WebhookDecideTest, EventsItWantsAndWhoSeesItsEvents) {
  ASSERT_TRUE(Register(Principal::Member("a"),
                       R"({"id":"h1","url":"http://h/","events":["organization.updated"],
                           "secret":"k","exclude_actors":["b"]})")
                  .ok());
  const WebhookRecord& w = *world_.state().FindWebhook("h1");
  const Event& registered = world_.events()[static_cast<size_t>(w.seq) - 1];
  EXPECT_FALSE(WebhookWants(w, registered));  // from its registration on
  Event e;
  e.seq = w.seq + 1;
  e.type = EventType::kOrganizationUpdated;
  e.actor = "a";
  EXPECT_TRUE(WebhookWants(w, e));
  e.actor = "b";
  EXPECT_FALSE(WebhookWants(w, e));  // excluded actor
  e.actor = "a";
  e.type = EventType::kOrganizationCreated;
  EXPECT_FALSE(WebhookWants(w, e));  // not among its events
  EXPECT_TRUE(CanSeeEvent(world_.state(), Principal::Member("a"), registered));
  EXPECT_FALSE(CanSeeEvent(world_.state(), Principal::Member("b"), registered));
  EXPECT_TRUE(CanSeeEvent(world_.state(), Principal::Admin(), registered));
  EXPECT_EQ(WebhookPrincipal(w).organization, "a");
}

TEST(EventTypesTest, EveryTypeIsKnownOnce) {
  const auto& types = EventTypes();
  std::set<std::string_view> unique(types.begin(), types.end());
  EXPECT_EQ(unique.size(), types.size());
  EXPECT_TRUE(IsEventType("provision.performed"));
  EXPECT_FALSE(IsEventType("*"));
  EXPECT_FALSE(IsEventType("provision.Performed"));
  // The names and the enum are one table: each name maps back to its value.
  for (size_t i = 0; i < types.size(); ++i) {
    std::optional<EventType> t = EventTypeFromName(types[i]);
    ASSERT_TRUE(t.has_value()) << types[i];
    EXPECT_EQ(static_cast<size_t>(*t), i);
    EXPECT_EQ(EventTypeName(*t), types[i]);
  }
}

}  // namespace
}  // namespace cocreate
