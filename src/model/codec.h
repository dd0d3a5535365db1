// Per-noun JSON codecs. Encode* write the contract's shape of a noun straight
// to a RapidJSON writer (the hot path of every GET); Decode* read the same
// shape back from a Json value, which is how events are replayed.
//
// Redaction (CONTRACT §7): an encoder given an IdFilter names only the ids the
// filter shows. A hidden id in a list is left out and counted in the object's
// "redacted": {FIELD: n}, written only when something was left out; a hidden
// single id is null. Without a filter (nullptr) every id is written.
#ifndef COCREATE_MODEL_CODEC_H_
#define COCREATE_MODEL_CODEC_H_

#include <string>
#include <vector>

#include "model/json.h"
#include "model/status.h"
#include "model/types.h"

namespace cocreate {

// Which referenced ids an encoding may name.
class IdFilter {
 public:
  virtual ~IdFilter() = default;
  // True when the answer may name `id`.
  virtual bool Shows(const std::string& id) const = 0;
};

void Encode(const Organization& o, JsonWriter& w);
// Filtered: members (an organization's own group shows its members to the
// owner, and to each member only itself; CONTRACT §9.10).
void Encode(const ConsumerGroup& g, JsonWriter& w, const IdFilter* filter = nullptr);
// A resource as it now stands (filtered: origin.provision).
void Encode(const Resource& r, JsonWriter& w, const IdFilter* filter = nullptr);
// One version of a resource (filtered: provision).
void EncodeVersion(const Resource& r, const ResourceVersion& v, JsonWriter& w,
                   const IdFilter* filter = nullptr);
// Filtered: built_on, depends_on.
void Encode(const Service& s, JsonWriter& w, const IdFilter* filter = nullptr);
// Filtered: service, access.
void Encode(const Offering& o, JsonWriter& w, const IdFilter* filter = nullptr);
// Filtered: offering.
void Encode(const Relationship& r, JsonWriter& w, const IdFilter* filter = nullptr);
// Filtered: relationship, used, created, modified, transferred.
void Encode(const Provision& p, JsonWriter& w, const IdFilter* filter = nullptr);
void Encode(const Value& v, JsonWriter& w);
void Encode(const Evidence& e, JsonWriter& w);
void Encode(const Agreement& a, JsonWriter& w);
void Encode(const Proposal& p, JsonWriter& w);
void Encode(const Person& p, JsonWriter& w, bool with_email = true);
void Encode(const PartyRole& r, JsonWriter& w);
void Encode(const ServiceOrder& o, JsonWriter& w);
void Encode(const Measurement& m, JsonWriter& w);
void Encode(const ServiceRequest& r, JsonWriter& w);
void Encode(const ValueRecord& v, JsonWriter& w);
// {start, end}, or null when empty.
void EncodePeriod(const Period& p, JsonWriter& w);
// [{resource or service, relationship}], unfiltered (event data).
void Encode(const std::vector<DegradedBy>& list, JsonWriter& w);
void EncodeStrings(const std::vector<std::string>& items, JsonWriter& w);

// Encodes with `encode` and parses the result back: how event data is built.
template <typename T>
Json ToJson(const T& value) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Encode(value, w);
  auto parsed = Json::Parse(std::string_view(buf.GetString(), buf.GetSize()));
  assert(parsed.ok() && "an encoder wrote invalid JSON");
  return std::move(parsed).value();
}

// Decoders of the encoded shapes. Errors: Internal naming the broken field.
StatusOr<Organization> DecodeOrganization(const Json& j);
StatusOr<ConsumerGroup> DecodeConsumerGroup(const Json& j);
StatusOr<Resource> DecodeResource(const Json& j);
StatusOr<Service> DecodeService(const Json& j);
StatusOr<Offering> DecodeOffering(const Json& j);
StatusOr<Relationship> DecodeRelationship(const Json& j);
StatusOr<Provision> DecodeProvision(const Json& j);
StatusOr<Value> DecodeStoredValue(const Json& j);
StatusOr<Evidence> DecodeEvidence(const Json& j);
StatusOr<Agreement> DecodeAgreement(const Json& j);
StatusOr<Proposal> DecodeProposal(const Json& j);
StatusOr<Person> DecodePerson(const Json& j);
StatusOr<PartyRole> DecodePartyRole(const Json& j);
StatusOr<ServiceOrder> DecodeServiceOrder(const Json& j);
StatusOr<Measurement> DecodeMeasurement(const Json& j);
StatusOr<ServiceRequest> DecodeServiceRequest(const Json& j);
StatusOr<ValueRecord> DecodeValueRecord(const Json& j);
Period DecodePeriod(const Json* j);
StatusOr<std::vector<DegradedBy>> DecodeDegradedBy(const Json& list);

// Small readers shared by the decoders.
std::string StrOr(const Json& j, std::string_view key, std::string fallback = "");
std::vector<std::string> StrList(const Json& j, std::string_view key);

}  // namespace cocreate

#endif  // COCREATE_MODEL_CODEC_H_
