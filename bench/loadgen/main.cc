// strata-loadgen: the C++ load generator of bench/ (see bench/README.md).
//
//   strata-loadgen write|write-ack|fanout|event|conns|read-cold --url
//   ws://127.0.0.1:PORT/deepstream
//                  [--pid SERVER_PID] [--label NAME] [--out result.json] [--threads N]
//                  [--rate UPDATES_PER_S]
//
// Exit code 0 when the run passed validation, 1 when it failed, 2 on a bad command line.
#include <csignal>
#include <cstdio>

#include "scenario.h"
#include "stats.h"

int main(int argc, char** argv) {
  using namespace strata::loadgen;
  std::signal(SIGPIPE, SIG_IGN);
  RunContext ctx;
  if (!ParseOptions(argc, argv, &ctx.opt)) return 2;
  RaiseFdLimit();
  const std::string& s = ctx.opt.scenario;
  if (ctx.opt.rate > 0 && s != "write" && s != "write-ack" && s != "fanout") {
    std::fprintf(stderr, "--rate / BENCH_RATE applies to write, write-ack and fanout only\n");
    return 2;
  }
  if (s == "write" || s == "write-ack") return RunWrite(ctx, false);
  if (s == "read-cold") return RunReadCold(ctx);
  if (s == "fanout") return RunWrite(ctx, true);
  if (s == "event") return RunEvent(ctx);
  if (s == "conns") return RunConns(ctx);
  std::fprintf(stderr,
               "unknown scenario \"%s\" (write, write-ack, fanout, event, conns, read-cold)\n",
               s.c_str());
  return 2;
}
