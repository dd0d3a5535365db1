// Test support: a store that passes every call to another, for tests that
// slow down or fail one call of a real store. Header-only; included by tests
// of the store and the layers above.
#ifndef COCREATE_STORE_TESTING_H_
#define COCREATE_STORE_TESTING_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace cocreate::testing {

class ForwardingStore : public EventStore {
 public:
  explicit ForwardingStore(std::unique_ptr<EventStore> inner) : inner_(std::move(inner)) {}

  Status WriteRoundWith(int64_t after, const std::function<Status(Event)>& catch_up,
                        const std::function<RoundWrites()>& decide) override {
    return inner_->WriteRoundWith(after, catch_up, decide);
  }
  bool Shared() const override { return inner_->Shared(); }
  std::optional<int64_t> WaitForAppend(int timeout_ms) override {
    return inner_->WaitForAppend(timeout_ms);
  }
  Status Scan(int64_t after, const std::function<Status(Event)>& fn) override {
    return inner_->Scan(after, fn);
  }
  StatusOr<std::vector<Event>> Read(int64_t after, int64_t upto, int64_t limit) override {
    return inner_->Read(after, upto, limit);
  }
  StatusOr<int64_t> LastSeq() override { return inner_->LastSeq(); }
  StatusOr<std::vector<Delivery>> PendingHeads(int limit) override {
    return inner_->PendingHeads(limit);
  }
  Status UpdateDelivery(const Delivery& d) override { return inner_->UpdateDelivery(d); }
  StatusOr<DeliveryPage> ListDeliveries(const std::string& webhook,
                                        std::optional<DeliveryStatus> status, int64_t limit,
                                        int64_t offset) override {
    return inner_->ListDeliveries(webhook, status, limit, offset);
  }
  Status DeleteDeliveries(const std::string& webhook) override {
    return inner_->DeleteDeliveries(webhook);
  }
  std::string Name() const override { return inner_->Name(); }

 private:
  std::unique_ptr<EventStore> inner_;
};

}  // namespace cocreate::testing

#endif  // COCREATE_STORE_TESTING_H_
