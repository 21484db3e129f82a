#include "pacer.h"

#include <cmath>

namespace strata::loadgen {

int64_t Pacer::DueAt(int sender, int64_t i) const {
  double j = double(i) * senders_ + sender;
  return t0_ns_ + int64_t(std::ceil(j * 1e9 / rate_));
}

int64_t Pacer::DueBy(int sender, int64_t now_ns) const {
  if (now_ns < t0_ns_) return 0;
  // Largest j due by now, then the operations of this sender among 0..j. Rounding of the
  // division is corrected against DueAt so that DueBy and DueAt can never disagree (an
  // operation counted as due whose DueAt lies in the future would arm a timer in the past).
  int64_t j = int64_t(std::floor(double(now_ns - t0_ns_) * rate_ / 1e9));
  int64_t n = j < sender ? 0 : (j - sender) / senders_ + 1;
  while (n > 0 && DueAt(sender, n - 1) > now_ns) --n;
  while (DueAt(sender, n) <= now_ns) ++n;
  return n;
}

}  // namespace strata::loadgen
