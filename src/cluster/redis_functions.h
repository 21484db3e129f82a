#pragma once
// The Redis function library every cluster node loads at start (FUNCTION LOAD REPLACE). Redis runs
// a function atomically, so each of these is one indivisible step of the cluster's record history:
// the version check, the write, the cluster sequence number and the PUBLISH to the record's
// channel happen together, and every node receives a record's changes in commit order.
//
// Keys (prefix = the cache's keyPrefix): <prefix><name>_v (version), <prefix><name>_d (JSON), the
// deepstream layout; <prefix><name>_t, a delete's tombstone (expires); `strata:seq`, the cluster
// sequence: max(last + 1, Redis TIME in µs), so it grows across deletes and restarts.
//
// `strata:wb`, the write-behind ledger: a sorted set of the records whose newest change may not be
// in storage yet, scored by that change's seq. The writer removes its entry once storage has the
// change; any node persists entries older than the grace a live writer needs (ledger_sweeper.h),
// so a change that reached the cache reaches storage even when its writer died.
//
//   strata_read   KEYS v d seq                 -> {version|nil, data|nil, seq}
//   strata_set    KEYS v d seq wb              ARGV expected new_version data channel kind rest
//                                                   ledger(0|1) name
//                 expected: a version, '-' (must be absent) or '*' (any: the hot path)
//                 -> {'OK', seq} | {'CONFLICT', version|nil, data|nil, seq}
//                 publishes "<kind> <seq> <rest>" on `channel`
//   strata_load   KEYS v d seq t               ARGV version data
//                 fills an absent record unless a tombstone says it was just deleted
//                 -> what strata_read answers afterwards
//   strata_delete KEYS v d seq t wb            ARGV channel rest tombstone_ms ledger(0|1) name
//                 -> seq; publishes "D <seq> <rest>"
//   strata_notify KEYS v d seq wb              ARGV channel origin present(0|1) version data name
//                 storage's copy replaces the cache's -> seq; publishes it as U or D
//   strata_persist_read KEYS v d seq wb        ARGV name
//                 -> {version|nil, data|nil, ledger score|nil, seq}: the state to persist
//   strata_persisted    KEYS wb                ARGV name seq [name seq ...]
//                 removes each ledger entry that is still that change's -> how many
//   strata_ledger_due   KEYS wb seq            ARGV grace_us limit
//                 -> {ledger size, {names whose change is older than Redis TIME - grace_us}}
//
// Soft state, owned per node (node_registry.h): `strata:node:<id>` the node's lease (expires),
// `strata:nodes` (id -> start), `strata:pres` (user -> nodes where online), `strata:pres:n:<id>`
// and `strata:rpcs:n:<id>` (what node <id> added), `strata:rpc:<name>` (nodes providing name).
//   strata_presence_join / strata_presence_leave   ARGV node user origin
//                 publishes "J|L <origin> <user>" on strata:presence when the user's first node
//                 joins or last node leaves
//   strata_rpc_provide / strata_rpc_unprovide      ARGV node name
//                 publishes "rpc <name>" on strata:ctl when the set of providing nodes changes
//   strata_reap   -> ids of nodes whose lease expired, after removing their soft state

#include <string_view>

namespace strata::cluster {

// The library's source (Lua, `#!lua name=strata`).
extern const std::string_view kRedisFunctions;

}  // namespace strata::cluster
