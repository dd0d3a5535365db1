// DecodeProvisionText, the hot path of a write load, checked against the
// general path (Json::ParseBody, then DecodeCreate) on hand-picked and
// random bodies: whatever the fast reader takes, the general path takes too
// and makes the same command of it; whatever it leaves, the general path
// judges. It must also take the everyday bodies, or it would save nothing.
#include <gtest/gtest.h>

#include <random>

#include "rules/commands.h"

namespace cocreate {
namespace {

// Every part of a provision command, as text, for comparing two of them.
std::string Describe(const Command& command) {
  const auto* c = std::get_if<CreateProvision>(&command.body);
  if (c == nullptr) return "not a provision";
  std::string out = "id=" + c->id + " rel=" + c->relationship + " action=" + c->action;
  for (const auto& u : c->used) out += " used=" + u;
  for (const auto& t : c->transfers) out += " transfer=" + t;
  out += " request=" + c->request;
  out += " creates=" + std::to_string(c->creates.size());
  out += " modifies=" + std::to_string(c->modifies.size());
  if (c->value) {
    out += " value{";
    for (const auto& o : c->value->outcomes) out += " outcome=" + o;
    for (const auto& cost : c->value->costs) {
      out += " cost=" + cost.amount.ToString() + "/" + cost.currency + "/" +
             std::string(ValueKindName(cost.kind));
    }
    for (const auto& r : c->value->risks) {
      out += " risk=" + r.description + "/" + std::string(ValueKindName(r.kind));
    }
    out += " }";
  }
  out += " kept_request=" + command.request.Dump();
  return out;
}

// The general path's answer for `text`.
StatusOr<Command> General(const std::string& text) {
  StatusOr<Json> json = Json::ParseBody(text);
  if (!json.ok()) return json.status();
  return DecodeCreate(Noun::kProvision, *json);
}

// Checks one body; returns whether the fast reader took it.
bool Check(const std::string& text) {
  std::optional<Command> fast = DecodeProvisionText(text);
  if (!fast) return false;
  StatusOr<Command> general = General(text);
  EXPECT_TRUE(general.ok()) << "the fast reader took what the general path refuses ("
                            << general.status().ToString() << "): " << text;
  if (general.ok()) {
    EXPECT_EQ(Describe(*fast), Describe(*general)) << text;
  }
  return true;
}

constexpr const char* kEveryday =
    R"({"relationship": "rel-swiftparcel-logistics", "action": "collect-parcels", )"
    R"("value": {"outcomes": ["parcels collected"], "costs": [{"amount": 3.4, )"
    R"("currency": "EUR", "kind": "introduced"}]}})";

TEST(DecodeProvisionTextTest, TakesTheEverydayBodies) {
  EXPECT_TRUE(Check(kEveryday));
  EXPECT_TRUE(Check(R"({"relationship":"r1","action":"a"})"));
  EXPECT_TRUE(Check(R"({"action":"a","relationship":"r1","used":["x","y","x"],)"
                    R"("transfers":["t1","t2"],"request":"req-1"})"));
  EXPECT_TRUE(Check(R"({"relationship":"r1","action":"a","value":{}})"));
  EXPECT_TRUE(Check(R"({"relationship":"r1","action":"a","value":{"risks":[)"
                    R"({"description":"late","kind":"removed"}],"outcomes":[],"costs":[]}})"));
  // Escapes and whitespace read as the general parse reads them.
  EXPECT_TRUE(Check("\n {\"relationship\" : \"r\\u0031\", \"act\\u0069on\":\"a\\n\\\"b\"}\t\r\n"));
  // Amounts in every form a number may take.
  for (const char* amount : {"3.4", "3.40", "-0", "0", "1e2", "1E-4", "-12.5", "999999999999999",
                             "0.0001", "2.50e1"}) {
    EXPECT_TRUE(Check(std::string(R"({"relationship":"r","action":"a","value":{"costs":[)") +
                      R"({"amount":)" + amount + R"(,"currency":"EUR","kind":"introduced"}]}})"))
        << amount;
  }
}

TEST(DecodeProvisionTextTest, LeavesEverythingElseToTheGeneralPath) {
  const char* left[] = {
      // Not an object, not JSON, or more than one value.
      "", "[]", "null", "\"x\"", "{", R"({"relationship":"r","action":"a"} {})",
      R"({"relationship":"r","action":"a"}x)", "{\"relationship\":\"r\",\"action\":\"a\"",
      // Fields it does not read: the general path reads or ignores them.
      R"({"relationship":"r","action":"a","id":"p1"})",
      R"({"relationship":"r","action":"a","creates":[]})",
      R"({"relationship":"r","action":"a","modifies":[]})",
      R"({"relationship":"r","action":"a","note":"ignored by the general path"})",
      // Missing, empty, null or mistyped.
      R"({"action":"a"})", R"({"relationship":"r"})", R"({"relationship":"","action":"a"})",
      R"({"relationship":"r","action":""})", R"({"relationship":null,"action":"a"})",
      R"({"relationship":"-bad","action":"a"})", R"({"relationship":"r","action":1})",
      R"({"relationship":"r","action":"a","used":"x"})",
      R"({"relationship":"r","action":"a","used":["-x"]})",
      R"({"relationship":"r","action":"a","transfers":["t","t"]})",
      R"({"relationship":"r","action":"a","request":""})",
      R"({"relationship":"r","action":"a","request":null})",
      R"({"relationship":"r","action":"a","value":null})",
      R"({"relationship":"r","action":"a","value":[]})",
      R"({"relationship":"r","action":"a","value":{"outcomes":[""]}})",
      R"({"relationship":"r","action":"a","value":{"other":[]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":"3","currency":"EUR","kind":"introduced"}]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":1.23456,"currency":"EUR","kind":"introduced"}]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":1e400,"currency":"EUR","kind":"introduced"}]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":1,"currency":"EUR","kind":"other"}]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":1,"currency":"EUR"}]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":1,"currency":"EUR","kind":"introduced","x":1}]}})",
      R"({"relationship":"r","action":"a","value":{"risks":[{"kind":"removed"}]}})",
      // A name twice, at any level.
      R"({"relationship":"r","action":"a","action":"b"})",
      R"({"relationship":"r","action":"a","value":{"outcomes":[],"outcomes":[]}})",
      R"({"relationship":"r","action":"a","value":{"costs":[{"amount":1,"amount":2,"currency":"EUR","kind":"introduced"}]}})",
      R"({"relationship":"r","act\u0069on":"a","action":"b"})",
      // Bad text inside: an escape, a lone surrogate, a control character.
      R"({"relationship":"r","action":"a\q"})", R"({"relationship":"r","action":"\ud800"})",
      "{\"relationship\":\"r\",\"action\":\"a\x01\"}", "{\"relationship\":\"r\",\"action\":\"\xff\"}",
  };
  for (const char* text : left) {
    EXPECT_FALSE(DecodeProvisionText(text).has_value()) << text;
  }
  // Over 4 KB: the general path's limits apply, so it is left to it.
  std::string big = R"({"relationship":"r","action":")" + std::string(5000, 'a') + R"("})";
  EXPECT_FALSE(DecodeProvisionText(big).has_value());
  EXPECT_TRUE(General(big).ok());
}

// Random bodies made of the parts above, right and wrong, in any order.
TEST(DecodeProvisionTextTest, AgreesWithTheGeneralPathOnRandomBodies) {
  std::mt19937 rng(20261204);
  auto pick = [&](std::initializer_list<const char*> options) {
    auto it = options.begin();
    std::advance(it, rng() % options.size());
    return std::string(*it);
  };
  auto list = [&](auto item, int most) {
    std::string out = "[";
    for (int i = 0, n = static_cast<int>(rng() % (most + 1)); i < n; ++i) {
      out += (i ? "," : "") + item();
    }
    return out + "]";
  };
  auto object = [&](std::vector<std::pair<std::string, std::string>> members) {
    std::shuffle(members.begin(), members.end(), rng);
    std::string out = "{";
    for (size_t i = 0; i < members.size(); ++i) {
      out += (i ? "," : "") + pick({"", " ", "\n"}) + "\"" + members[i].first + "\"" +
             pick({":", " : "}) + members[i].second;
    }
    return out + "}";
  };
  auto maybe = [&](std::vector<std::pair<std::string, std::string>>& members, std::string key,
                   std::string value, int percent) {
    if (static_cast<int>(rng() % 100) < percent) members.emplace_back(std::move(key), std::move(value));
  };
  // Good parts come up more often than bad ones.
  auto id = [&] { return pick({"\"r1\"", "\"r1\"", "\"r2\"", "\"rel-a.b:c_d\"", "\"x\"", "\"-bad\"", "\"\"", "1", "null",
                               "\"r\\u0031\"", "\"has space\""}); };
  auto text = [&] { return pick({"\"a\"", "\"a\"", "\"b\"", "\"collect\"", "\"\"", "7", "null", "\"\\u00e9t\\u00e9\"",
                                 "\"tab\\tline\\n\""}); };
  auto amount = [&] { return pick({"3.4", "3.4", "2", "3.40", "0", "-0", "1e2", "1e400", "1.23456", "-7",
                                   "1234567890123456", "\"3\"", "null", "0.0001", "1E-5"}); };
  auto kind = [&] {
    return pick({"\"introduced\"", "\"introduced\"", "\"removed\"", "\"removed\"", "\"other\"", "1"});
  };
  auto cost = [&] {
    std::vector<std::pair<std::string, std::string>> m;
    maybe(m, "amount", amount(), 95);
    maybe(m, "currency", pick({"\"EUR\"", "\"\"", "2"}), 95);
    maybe(m, "kind", kind(), 95);
    maybe(m, "amount", amount(), 3);
    maybe(m, "note", "1", 3);
    return rng() % 30 == 0 ? std::string("\"not a cost\"") : object(m);
  };
  auto risk = [&] {
    std::vector<std::pair<std::string, std::string>> m;
    maybe(m, "description", text(), 95);
    maybe(m, "kind", kind(), 95);
    return object(m);
  };
  auto value = [&] {
    std::vector<std::pair<std::string, std::string>> m;
    maybe(m, "outcomes", list(text, 3), 70);
    maybe(m, "costs", list(cost, 3), 70);
    maybe(m, "risks", list(risk, 2), 40);
    maybe(m, "costs", "[]", 3);
    maybe(m, "other", "[]", 3);
    return rng() % 30 == 0 ? pick({"null", "[]", "1"}) : object(m);
  };
  int taken = 0, general = 0;
  const int kBodies = 20000;
  for (int i = 0; i < kBodies; ++i) {
    std::vector<std::pair<std::string, std::string>> m;
    maybe(m, "relationship", id(), 97);
    maybe(m, "action", text(), 97);
    maybe(m, "used", list(id, 3), 30);
    maybe(m, "transfers", list([&] { return pick({"\"t1\"", "\"t2\"", "\"t3\""}); }, 3), 20);
    maybe(m, "request", id(), 15);
    maybe(m, "value", value(), 80);
    maybe(m, "id", id(), 3);
    maybe(m, "creates", "[]", 2);
    maybe(m, "note", "{}", 3);
    maybe(m, "action", text(), 2);
    std::string body = object(m) + pick({"", "", "", " ", "\n", " x", "{}"});
    if (Check(body)) ++taken;
    if (General(body).ok()) ++general;
    if (HasFailure()) return;
  }
  // Most random bodies carry a wrong part somewhere; enough do not, and of
  // those the general path takes, most are of the shape the fast one reads.
  EXPECT_GT(taken, kBodies / 20) << "the fast reader took " << taken << " of " << kBodies;
  EXPECT_GT(taken, general / 2) << "the fast reader took " << taken << ", the general path "
                                << general;
}

}  // namespace
}  // namespace cocreate
