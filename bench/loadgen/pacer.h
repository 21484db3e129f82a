#pragma once
// The open-loop schedule of the paced mode (--rate): W senders share a total rate of R operations
// per second, evenly interleaved. Operation j (over all senders) is due at t0 + j / R; sender w
// owns j = i * W + w, so its i-th operation is due at t0 + (i * W + w) / R. Interleaving the
// senders (instead of every sender firing at the same instant) keeps the load on the server as
// smooth as the rate says, which is what a latency-at-a-given-load measurement needs.
//
// Pure arithmetic, no state besides t0: safe to call from any thread once Start() has
// happened-before the call.

#include <cstdint>

namespace strata::loadgen {

class Pacer {
 public:
  // REQUIRES: rate > 0, senders >= 1.
  Pacer(double rate, int senders) : rate_(rate), senders_(senders) {}

  void Start(int64_t t0_ns) { t0_ns_ = t0_ns; }
  double rate() const { return rate_; }
  int64_t t0_ns() const { return t0_ns_; }

  // When the i-th operation of `sender` is due (CLOCK_MONOTONIC ns).
  int64_t DueAt(int sender, int64_t i) const;
  // How many operations of `sender` are due at or before now_ns.
  int64_t DueBy(int sender, int64_t now_ns) const;

 private:
  double rate_;
  int senders_;
  int64_t t0_ns_ = 0;
};

}  // namespace strata::loadgen
