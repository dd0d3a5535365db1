// Per-noun JSON codecs. Encode* write the contract's shape of a noun straight
// to a RapidJSON writer (the hot path of every GET), or build the same shape
// as a Json with a JsonBuilder (ToJson: how event data is made); Decode* read
// it back from a Json value, which is how events are replayed.
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

template <typename W>
void Encode(const Organization& o, W& w);
// Filtered: members (an organization's own group shows its members to the
// owner, and to each member only itself; CONTRACT §9.10).
template <typename W>
void Encode(const ConsumerGroup& g, W& w, const IdFilter* filter = nullptr);
// A resource as it now stands (filtered: origin.provision).
template <typename W>
void Encode(const Resource& r, W& w, const IdFilter* filter = nullptr);
// One version of a resource (filtered: provision).
template <typename W>
void EncodeVersion(const Resource& r, const ResourceVersion& v, W& w,
                   const IdFilter* filter = nullptr);
// Filtered: built_on, depends_on.
template <typename W>
void Encode(const Service& s, W& w, const IdFilter* filter = nullptr);
// Filtered: service, access.
template <typename W>
void Encode(const Offering& o, W& w, const IdFilter* filter = nullptr);
// Filtered: offering.
template <typename W>
void Encode(const Relationship& r, W& w, const IdFilter* filter = nullptr);
// Filtered: relationship, used, created, modified, transferred.
template <typename W>
void Encode(const Provision& p, W& w, const IdFilter* filter = nullptr);
template <typename W>
void Encode(const Value& v, W& w);
template <typename W>
void Encode(const Evidence& e, W& w);
template <typename W>
void Encode(const Agreement& a, W& w);
template <typename W>
void Encode(const Proposal& p, W& w);
template <typename W>
void Encode(const Person& p, W& w, bool with_email = true);
template <typename W>
void Encode(const PartyRole& r, W& w);
template <typename W>
void Encode(const ServiceOrder& o, W& w);
template <typename W>
void Encode(const Measurement& m, W& w);
template <typename W>
void Encode(const ServiceRequest& r, W& w);
template <typename W>
void Encode(const ValueRecord& v, W& w);
// {start, end}, or null when empty.
template <typename W>
void EncodePeriod(const Period& p, W& w);
// [{resource or service, relationship}], unfiltered (event data).
template <typename W>
void Encode(const std::vector<DegradedBy>& list, W& w);
template <typename W>
void EncodeStrings(const std::vector<std::string>& items, W& w);

// The value the encoder of `value` writes, built without text: how event
// data is made.
template <typename T>
Json ToJson(const T& value) {
  JsonBuilder b;
  Encode(value, b);
  return b.Take();
}

// An event's data: `data`, or the encoded provision it carries
// (Event::provision). The text is the compact JSON a store keeps; both forms
// of the same event give the same text.
std::string EventDataText(const Event& e);
Json EventDataJson(const Event& e);
// `e` with its data as `data` (a copy only when it carries a provision).
Event WithEventData(const Event& e);

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
