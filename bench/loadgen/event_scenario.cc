// Scenario "event": P publishers (publisher p emits on bench/e<p>) and S subscribers, each on its
// own connection; every subscriber subscribes to every publisher's event and waits for the ack.
// Each publisher EMITs pre-encoded events {"seq":<i>,...} keeping at most K in flight: an event
// is complete when every subscriber has received it. Validation as event-fanout.js, with the data
// compared byte for byte on every delivery (that comparison is what identifies the event).
#include <charconv>
#include <cstdio>
#include <memory>
#include <vector>

#include "conn.h"
#include "scenario.h"

namespace strata::loadgen {
namespace {

constexpr int kPublisher = 0, kSubscriber = 1;
const std::string kEventPrefix = "bench/e";

class EventScenario final : public ConnHandler {
 public:
  EventScenario(RunContext& ctx, int pubs, int subs, int n, int k, int payload, int data_every)
      : ctx_(ctx),
        pubs_(pubs),
        subs_(subs),
        n_(n),
        k_(k),
        payload_(payload),
        data_every_(data_every) {}

  int Run();

  void OnLoggedIn(Conn& c) override {
    if (c.role == kPublisher) return c.MarkReady();
    ProtoWriter w;
    w.Varint(1, event_action::kSubscribe).Bytes(3, c.name());
    for (int p = 0; p < pubs_; ++p) w.Bytes(7, kEventPrefix + std::to_string(p));
    c.SendMessage(topic::kEvent, w.str());
  }

  void OnMessage(Conn& c, const Msg& m, std::string_view frame) override {
    if (c.state() == Conn::State::kSetup) {
      if (m.topic == topic::kEvent && m.action == event_action::kSubscribe && m.is_ack)
        return c.MarkReady();
      return c.Problem("unexpected message during setup " + Describe(m));
    }
    Phase ph = ctx_.phase.load(std::memory_order_relaxed);
    if (ph == Phase::kShutdown) return;
    if (ph != Phase::kMeasuring)
      return c.Problem("message after the end / before the start " + Describe(m));
    if (c.role == kPublisher) {
      return c.Problem(std::string(m.action == event_action::kEmit
                                       ? "received an event (the sender must be excluded) "
                                       : "unexpected message ") +
                       Describe(m));
    }
    OnDelivery(c, m);
  }

 private:
  int PublisherOf(std::string_view name) const {
    if (name.substr(0, kEventPrefix.size()) != kEventPrefix) return -1;
    int p = -1;
    auto rest = name.substr(kEventPrefix.size());
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
    return ec == std::errc() && end == rest.data() + rest.size() && p < pubs_ ? p : -1;
  }

  void OnDelivery(Conn& c, const Msg& m) {
    int p = m.topic == topic::kEvent && m.action == event_action::kEmit && !m.is_error && m.has_data
                ? PublisherOf(m.name)
                : -1;
    if (p < 0) return c.Problem("unexpected message " + Describe(m));
    int64_t now = NowNs();
    int& want = next_expected_[size_t(p) * subs_ + c.index];
    if (want >= n_ || m.data != payloads_[want]) {
      int seq = -1;
      auto d = m.data.substr(7);  // after {"seq":
      std::from_chars(d.data(), d.data() + d.size(), seq);
      if (seq == want) {
        return c.Problem("event " + std::to_string(seq) + " of " + std::string(m.name) +
                         " has data " + std::string(m.data.substr(0, 120)));
      }
      return c.Problem(
          "got event " + std::to_string(seq) + " of " + std::string(m.name) + ", expected " +
          std::to_string(want) +
          (seq >= 0 && seq < want ? " (duplicate/out of order)" : " (gap or bad data)"));
    }
    int i = want;
    if (i >= sent_[p].load(std::memory_order_acquire)) {
      return c.Problem("event " + std::to_string(i) + " of " + std::string(m.name) +
                       " that was never sent");
    }
    want = i + 1;
    delivered_.fetch_add(1, std::memory_order_relaxed);
    lat_[c.loop()->id].push_back(float(now - send_ns_[p][i].load(std::memory_order_relaxed)) /
                                 1000);
    last_rx_ns_.store(now, std::memory_order_relaxed);
    if (received_[p][i].fetch_add(1, std::memory_order_acq_rel) + 1 == subs_) {
      completed_[p].fetch_add(1, std::memory_order_acq_rel);
      total_completed_.fetch_add(1, std::memory_order_relaxed);
      Conn& pub = *conns_[p];
      if (pub.loop() == c.loop()) {
        Pump(p);
      } else {
        pub.loop()->Post([this, p] { Pump(p); });
      }
    }
  }

  // On the publisher's loop only.
  void Pump(int p) {
    Conn& c = *conns_[p];
    while (!stop_.load(std::memory_order_relaxed)) {
      int i = sent_[p].load(std::memory_order_relaxed);
      if (i >= n_ || i - completed_[p].load(std::memory_order_acquire) >= k_) break;
      send_ns_[p][i].store(NowNs(), std::memory_order_relaxed);
      sent_[p].store(i + 1, std::memory_order_release);
      total_sent_.fetch_add(1, std::memory_order_relaxed);
      c.Send(frames_[p][i]);
    }
  }

  RunContext& ctx_;
  const int pubs_, subs_, n_, k_, payload_, data_every_;
  std::vector<std::unique_ptr<Conn>> conns_;  // publishers first
  std::vector<std::string> payloads_;
  std::vector<std::vector<std::string>> frames_;
  std::vector<std::unique_ptr<std::atomic<int64_t>[]>> send_ns_;
  std::vector<std::unique_ptr<std::atomic<int>[]>> received_;  // subscribers that got event i
  std::unique_ptr<std::atomic<int>[]> sent_, completed_;
  std::vector<int> next_expected_;  // [p * S + s], subscriber's loop only
  std::vector<std::vector<float>> lat_;
  std::atomic<int64_t> total_sent_{0}, total_completed_{0}, delivered_{0};
  std::atomic<int64_t> last_rx_ns_{0};
  std::atomic<bool> stop_{false};
};

int EventScenario::Run() {
  Json j;
  BeginResult(ctx_, j, "event-fanout");
  int64_t t00 = NowNs();
  LoopGroup group(&ctx_, ctx_.opt.threads);
  for (int p = 0; p < pubs_; ++p) {
    conns_.push_back(
        std::make_unique<Conn>(&ctx_, this, "p" + std::to_string(p), kPublisher, p, 0));
  }
  for (int s = 0; s < subs_; ++s) {
    conns_.push_back(
        std::make_unique<Conn>(&ctx_, this, "s" + std::to_string(s), kSubscriber, s, 0));
  }
  for (auto& c : conns_) group.Add(c.get());
  if (std::optional<int> failed = StartAndWaitReady(ctx_, group, j)) return *failed;
  double setup_ms = double(NowNs() - t00) / 1e6;
  for (int i = 0; i < n_; ++i)
    payloads_.push_back(Padded("{\"seq\":" + std::to_string(i) + ",\"fill\":\"", size_t(payload_)));
  frames_.assign(pubs_, {});
  for (int p = 0; p < pubs_; ++p) {
    for (int i = 0; i < n_; ++i) {
      frames_[p].push_back(
          MaskedFrame(EncodeMessage(topic::kEvent, ProtoWriter()
                                                       .Varint(1, event_action::kEmit)
                                                       .Bytes(2, payloads_[i])
                                                       .Bytes(6, kEventPrefix + std::to_string(p))
                                                       .str())));
    }
    send_ns_.push_back(std::make_unique<std::atomic<int64_t>[]>(size_t(n_)));
    received_.push_back(std::make_unique<std::atomic<int>[]>(size_t(n_)));
  }
  sent_ = std::make_unique<std::atomic<int>[]>(size_t(pubs_));
  completed_ = std::make_unique<std::atomic<int>[]>(size_t(pubs_));
  next_expected_.assign(size_t(pubs_) * subs_, 0);
  lat_.resize(group.size());
  for (auto& v : lat_) v.reserve(std::min<size_t>(size_t(pubs_) * n_ * subs_, 20000000));

  const int64_t total = int64_t(pubs_) * n_;
  PhaseHooks hooks;
  hooks.start = [this](int loop) {
    for (int p = 0; p < pubs_; ++p) {
      if (conns_[p]->loop()->id == loop) Pump(p);
    }
  };
  hooks.all_sent = [&] { return total_sent_.load() == total; };
  hooks.complete = [&] { return total_completed_.load() == total_sent_.load(); };
  hooks.progress = [&] { return delivered_.load(); };
  hooks.stop_sending = &stop_;
  hooks.last_rx_ns = &last_rx_ns_;
  PhaseResult r = RunMeasuredPhase(ctx_, group, hooks);
  int64_t sent = total_sent_.load(), events = total_completed_.load(),
          delivered = delivered_.load();
  if (r.how != "complete") {
    ctx_.problems.Add(
        std::string(r.how == "stalled" ? "stalled" : "not complete after the drain time") + ": " +
        std::to_string(events) + "/" + std::to_string(sent) + " events reached every subscriber, " +
        std::to_string(delivered) + "/" + std::to_string(sent * subs_) + " deliveries");
  }
  EndRun(ctx_, group);
  if (r.how != "complete") {
    int shown = 0;
    for (int p = 0; p < pubs_; ++p) {
      for (int s = 0; s < subs_ && shown < 10; ++s) {
        int got = next_expected_[size_t(p) * subs_ + s];
        if (got != sent_[p].load()) {
          ctx_.problems.Add("s" + std::to_string(s) + ": received events of bench/e" +
                            std::to_string(p) + " up to " + std::to_string(got - 1) +
                            ", publisher sent up to " + std::to_string(sent_[p].load() - 1));
          ++shown;
        }
      }
    }
  }
  std::vector<float> all;
  for (auto& v : lat_) all.insert(all.end(), v.begin(), v.end());
  Latency l = Percentiles(std::move(all));
  double el_s = r.elapsed_ms() / 1000;
  j.Begin("params")
      .Num("publishers", pubs_)
      .Num("subscribers", subs_)
      .Num("N", n_)
      .Num("K", k_)
      .Num("durationS", ctx_.opt.duration_ms / 1000)
      .Num("payloadBytes", double(payloads_[0].size()))
      .Num("frameBytes", double(frames_[0][0].size()))
      .Num("dataEvery", data_every_)
      .End();
  j.Num("setupMs", setup_ms)
      .Str("stoppedBy", r.how != "complete" ? r.how
                        : sent == total     ? "count"
                                            : "time cap")
      .Num("elapsedS", el_s)
      .Num("events", double(events))
      .Num("deliveries", double(delivered))
      .Num("eventsPerS", double(events) / el_s)
      .Num("deliveriesPerS", double(delivered) / el_s);
  AddLatencyJson(j, "deliveryLatencyMs", l);
  AddCpuJson(j, ctx_.opt, r.cpu0, r.cpu1, r.rss_kb, r.elapsed_ms(),
             {{"Event", double(events)}, {"Delivery", double(delivered)}}, r.self0, r.self1);
  double tck = double(ClockTicks());
  double su = double(r.cpu1.utime - r.cpu0.utime) * 1e6 / tck,
         ss = double(r.cpu1.stime - r.cpu0.stime) * 1e6 / tck;
  double cu = r.self1.user_us - r.self0.user_us, cs = r.self1.sys_us - r.self0.sys_us;
  char buf[1024];
  std::snprintf(
      buf, sizeof buf,
      "   %d publishers x %d subscribers, N=%d K=%d payload=%zuB setup=%.0fms stopped by %s\n"
      "   %lld events, %lld deliveries in %.2f s: %.0f events/s, %.0f deliveries/s\n"
      "   emit->subscriber ms p50 %.2f p99 %.2f max %.2f\n"
      "   server: per delivery user %.2f us sys %.2f us; RSS %.1f MB\n"
      "   generator cpu: %.0f%% of one core (user %.2f + sys %.2f us per delivery)\n",
      pubs_, subs_, n_, k_, payloads_[0].size(), setup_ms,
      r.how != "complete" ? r.how.c_str()
      : sent == total     ? "count"
                          : "time cap",
      (long long)events, (long long)delivered, el_s, double(events) / el_s,
      double(delivered) / el_s, l.p50_ms, l.p99_ms, l.max_ms,
      delivered ? su / double(delivered) : 0, delivered ? ss / double(delivered) : 0,
      r.rss_kb / 1024, 100 * (cu + cs) / 1000 / r.elapsed_ms(),
      delivered ? cu / double(delivered) : 0, delivered ? cs / double(delivered) : 0);
  std::string summary = buf;
  if (ctx_.opt.pid == 0)
    summary.erase(summary.find("   server:"),
                  summary.find("   generator") - summary.find("   server:"));
  return Finish(ctx_, j, summary);
}

}  // namespace

int RunEvent(RunContext& ctx) {
  EventScenario s(ctx, int(EnvNumber("BENCH_E_PUBS", 4)), int(EnvNumber("BENCH_E_SUBS", 100)),
                  int(EnvNumber("BENCH_E_N", 5000)), int(EnvNumber("BENCH_E_K", 8)),
                  int(EnvNumber("BENCH_E_PAYLOAD", 100, 40)), 1);
  return s.Run();
}

}  // namespace strata::loadgen
