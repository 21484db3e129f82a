#include "cluster/redis_functions.h"

namespace strata::cluster {

const std::string_view kRedisFunctions = R"LUA(#!lua name=strata

local function next_seq(key)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', key) or '0')
  local seq = string.format('%d', math.max(last + 1, now))
  redis.call('SET', key, seq)
  return seq
end

local function read(keys)
  local v = redis.call('GET', keys[1])
  local d = redis.call('GET', keys[2])
  return {v, d, redis.call('GET', keys[3]) or '0'}
end

local function set(keys, args)
  local cur = redis.call('GET', keys[1])
  local expected = args[1]
  local ok
  if expected == '*' then
    ok = true
  elseif expected == '-' then
    ok = not cur
  else
    ok = cur == expected
  end
  if not ok then
    return {'CONFLICT', cur, redis.call('GET', keys[2]), redis.call('GET', keys[3]) or '0'}
  end
  local seq = next_seq(keys[3])
  redis.call('MSET', keys[1], args[2], keys[2], args[3])
  if args[7] == '1' then redis.call('ZADD', keys[4], seq, args[8]) end
  redis.call('PUBLISH', args[4], args[5] .. ' ' .. seq .. ' ' .. args[6])
  return {'OK', seq}
end

local function load(keys, args)
  if not redis.call('GET', keys[1]) and redis.call('EXISTS', keys[4]) == 0 then
    redis.call('MSET', keys[1], args[1], keys[2], args[2])
  end
  return read(keys)
end

local function delete(keys, args)
  redis.call('DEL', keys[1], keys[2])
  local seq = next_seq(keys[3])
  redis.call('SET', keys[4], seq, 'PX', args[3])
  if args[4] == '1' then redis.call('ZADD', keys[5], seq, args[5]) end
  redis.call('PUBLISH', args[1], 'D ' .. seq .. ' ' .. args[2])
  return seq
end

-- NOTIFY: storage's copy replaces the cache's (or its absence deletes it); storage has it, so the
-- ledger entry goes.
local function notify(keys, args)
  local seq = next_seq(keys[3])
  redis.call('ZREM', keys[4], args[6])
  if args[3] == '1' then
    redis.call('MSET', keys[1], args[4], keys[2], args[5])
    redis.call('PUBLISH', args[1], 'U ' .. seq .. ' ' .. args[2] .. ' ' .. args[4] .. '\n' .. args[5])
  else
    redis.call('DEL', keys[1], keys[2])
    redis.call('PUBLISH', args[1], 'D ' .. seq .. ' ' .. args[2])
  end
  return seq
end

local function persist_read(keys, args)
  local score = redis.call('ZSCORE', keys[4], args[1])
  if not score then return {false, false, false, '0'} end
  local state = read(keys)
  return {state[1], state[2], string.format('%d', tonumber(score)), state[3]}
end

local function persisted(keys, args)  -- ARGV name seq [name seq ...]
  local removed = 0
  for i = 1, #args, 2 do
    local score = redis.call('ZSCORE', keys[1], args[i])
    if score and string.format('%d', tonumber(score)) == args[i + 1] then
      redis.call('ZREM', keys[1], args[i])
      removed = removed + 1
    end
  end
  return removed
end

local function ledger_due(keys, args)
  -- Age by the clock, not by strata:seq, which stands still while nobody writes.
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local due = redis.call('ZRANGEBYSCORE', keys[1], '-inf', string.format('%d', now - tonumber(args[1])),
                         'LIMIT', 0, tonumber(args[2]))
  return {redis.call('ZCARD', keys[1]), due}
end

-- Soft state owned by nodes (presence, RPC providers). Each node indexes what it added, so that
-- a dead node's share is removed in one step. Keys are derived from the node id (one primary).

local function presence_join(keys, args)  -- ARGV node user origin
  if redis.call('SADD', 'strata:pres:n:' .. args[1], args[2]) == 0 then return 0 end
  if redis.call('HINCRBY', 'strata:pres', args[2], 1) == 1 then
    redis.call('PUBLISH', 'strata:presence', 'J ' .. args[3] .. ' ' .. args[2])
  end
  return 1
end

local function presence_gone(user, origin)
  if redis.call('HINCRBY', 'strata:pres', user, -1) <= 0 then
    redis.call('HDEL', 'strata:pres', user)
    redis.call('PUBLISH', 'strata:presence', 'L ' .. origin .. ' ' .. user)
  end
end

local function presence_leave(keys, args)  -- ARGV node user origin
  if redis.call('SREM', 'strata:pres:n:' .. args[1], args[2]) == 0 then return 0 end
  presence_gone(args[2], args[3])
  return 1
end

local function rpc_provide(keys, args)  -- ARGV node name
  redis.call('SADD', 'strata:rpcs:n:' .. args[1], args[2])
  if redis.call('SADD', 'strata:rpc:' .. args[2], args[1]) == 1 then
    redis.call('PUBLISH', 'strata:ctl', 'rpc ' .. args[2])
  end
  return 1
end

local function rpc_unprovide(keys, args)  -- ARGV node name
  redis.call('SREM', 'strata:rpcs:n:' .. args[1], args[2])
  if redis.call('SREM', 'strata:rpc:' .. args[2], args[1]) == 1 then
    redis.call('PUBLISH', 'strata:ctl', 'rpc ' .. args[2])
  end
  return 1
end

-- Every node whose lease expired loses its soft state: its users leave (once, cluster-wide) and
-- its RPC providers are gone. Idempotent: a second reaper finds nothing left.
local function reap(keys, args)
  local reaped = {}
  for _, id in ipairs(redis.call('ZRANGE', 'strata:nodes', 0, -1)) do
    if redis.call('EXISTS', 'strata:node:' .. id) == 0 then
      for _, user in ipairs(redis.call('SMEMBERS', 'strata:pres:n:' .. id)) do
        presence_gone(user, id .. ':0')
      end
      for _, name in ipairs(redis.call('SMEMBERS', 'strata:rpcs:n:' .. id)) do
        if redis.call('SREM', 'strata:rpc:' .. name, id) == 1 then
          redis.call('PUBLISH', 'strata:ctl', 'rpc ' .. name)
        end
      end
      redis.call('DEL', 'strata:pres:n:' .. id, 'strata:rpcs:n:' .. id)
      redis.call('ZREM', 'strata:nodes', id)
      table.insert(reaped, id)
    end
  end
  return reaped
end

redis.register_function{function_name = 'strata_read', callback = read, flags = {'no-writes'}}
redis.register_function('strata_set', set)
redis.register_function('strata_load', load)
redis.register_function('strata_delete', delete)
redis.register_function('strata_notify', notify)
redis.register_function('strata_presence_join', presence_join)
redis.register_function('strata_presence_leave', presence_leave)
redis.register_function('strata_rpc_provide', rpc_provide)
redis.register_function('strata_rpc_unprovide', rpc_unprovide)
redis.register_function('strata_reap', reap)
redis.register_function('strata_persist_read', persist_read)
redis.register_function{function_name = 'strata_ledger_due', callback = ledger_due,
                        flags = {'no-writes'}}
redis.register_function('strata_persisted', persisted)
)LUA";

}  // namespace strata::cluster
