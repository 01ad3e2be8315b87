/**
 * Every step of the shared room store (redis-room-store.ts) as one Lua script, so each step is one
 * atomic round trip: Redis runs a script with nothing else in between, which is what makes a code
 * unique and a join's checks (full, refusing, password, reserved ids) hold across processes.
 *
 * ARGV: 1 the step, 2 the key prefix, 3 the lease (ms), 4 how long a closed room's instance is
 * remembered (ms), 5 MAX_ROOMS, 6… the step's own arguments. Answers are JSON (cjson).
 *
 * Keys (P = the prefix):
 * - `P room:CODE`, a hash: instance, host (socket id, "" while away), max, refusing (0/1), pw
 *   (RoomPassword's stored form, "" for none), grace (ms), nc and nr (clients, reserved ids),
 *   empty (Redis time in ms since when the room has had nobody, "" while it has someone),
 *   `c:ID` (a client's socket id, "" while detached), `r:ID` (a reserved id), `d:ID` (the id of
 *   a detached place's current detachment, for its grace timer).
 * - `P member:SOCKET`: "CODE PEERID", the place of a connected socket; trusted only while the
 *   room still names that socket for that place.
 * - `P rooms`, a sorted set: code → when its keys expire (ms), to count live rooms.
 * - `P closed:INSTANCE`: a closed room, so its host tokens cannot reopen it while they last.
 *
 * Every key of a room expires after lease + grace unless the process holding its host's socket
 * renews it (step renew), so a room whose process died goes away on its own.
 */
export const ROOM_SCRIPT = `
local op, P = ARGV[1], ARGV[2]
local lease, closedMs, maxRooms = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ROOMS = P .. 'rooms'

local function rk(code) return P .. 'room:' .. code end
local function mk(s) return P .. 'member:' .. s end
local function reply(value) return cjson.encode(value) end
local function fail(code, message) return reply({ ok = false, code = code, message = message }) end

local function load(code)
  local flat = redis.call('HGETALL', rk(code))
  if #flat == 0 then return nil end
  local r = { code = code, clients = {}, reserved = {} }
  for i = 1, #flat, 2 do
    local f, v = flat[i], flat[i + 1]
    local kind = string.sub(f, 1, 2)
    if kind == 'c:' then r.clients[#r.clients + 1] = { tonumber(string.sub(f, 3)), v }
    elseif kind == 'r:' then r.reserved[#r.reserved + 1] = tonumber(string.sub(f, 3))
    elseif kind ~= 'd:' then r[f] = v end
  end
  return r
end

-- The socket's place, if the room still names this socket for it.
local function member(s)
  local m = redis.call('GET', mk(s))
  if not m then return nil end
  local sep = string.find(m, ' ', 1, true)
  local code, peer = string.sub(m, 1, sep - 1), tonumber(string.sub(m, sep + 1))
  local field = 'c:' .. peer
  if peer == 1 then field = 'host' end
  if redis.call('HGET', rk(code), field) ~= s then
    redis.call('DEL', mk(s))
    return nil
  end
  return code, peer
end

local function already(code, peer)
  local role = 'in'
  if peer == 1 then role = 'hosting' end
  return fail('already_in_room', 'this connection is already ' .. role .. ' room ' .. code .. '; leave it first')
end

local function roomCount()
  redis.call('ZREMRANGEBYSCORE', ROOMS, '-inf', now)
  return redis.call('ZCARD', ROOMS)
end

-- Every key of the room lives another ms: the room, its place in ROOMS, its members' places.
local function keep(code)
  local key = rk(code)
  local ms = lease + tonumber(redis.call('HGET', key, 'grace'))
  redis.call('PEXPIRE', key, ms)
  redis.call('ZADD', ROOMS, now + ms, code)
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do
    local f, v = flat[i], flat[i + 1]
    if (f == 'host' or string.sub(f, 1, 2) == 'c:') and v ~= '' then redis.call('PEXPIRE', mk(v), ms) end
  end
end

local function addMember(code, s, peer)
  local ms = redis.call('PTTL', rk(code))
  if ms > 0 then redis.call('SET', mk(s), code .. ' ' .. peer, 'PX', ms)
  else redis.call('SET', mk(s), code .. ' ' .. peer) end
end

local function occupancy(code)
  local key = rk(code)
  local n = tonumber(redis.call('HGET', key, 'nc')) + tonumber(redis.call('HGET', key, 'nr'))
  if n > 0 then redis.call('HSET', key, 'empty', '')
  elseif redis.call('HGET', key, 'empty') == '' then redis.call('HSET', key, 'empty', now) end
end

local function close(code)
  local r = load(code)
  if r.host ~= '' then redis.call('DEL', mk(r.host)) end
  local sockets = {}
  for _, c in ipairs(r.clients) do
    if c[2] ~= '' then
      sockets[#sockets + 1] = c[2]
      redis.call('DEL', mk(c[2]))
    end
  end
  redis.call('DEL', rk(code))
  redis.call('ZREM', ROOMS, code)
  redis.call('SET', P .. 'closed:' .. r.instance, '1', 'PX', closedMs)
  return { kind = 'room_closed', room = r, clientSocketIds = sockets, count = roomCount() }
end

local function leave(s, code, peer)
  if peer ~= 1 then
    local key = rk(code)
    redis.call('HDEL', key, 'c:' .. peer, 'd:' .. peer)
    redis.call('HINCRBY', key, 'nc', -1)
    redis.call('DEL', mk(s))
    occupancy(code)
    return { kind = 'client_left', room = load(code), peerId = peer }
  end
  return close(code)
end

local function open(code, s, instance, max, pw, grace, reserved)
  local key = rk(code)
  redis.call('HSET', key, 'instance', instance, 'host', s, 'max', max, 'refusing', '0', 'pw', pw,
    'grace', grace, 'nc', 0, 'nr', #reserved, 'empty', '')
  for _, id in ipairs(reserved) do redis.call('HSET', key, 'r:' .. id, '1') end
  occupancy(code)
  addMember(code, s, 1)
  keep(code)
end

local function hostOf(s, action)
  local code, peer = member(s)
  if not code then return nil, fail('not_in_room', "only a room's host can " .. action) end
  if peer ~= 1 then return nil, fail('not_host', "only the room's host can " .. action) end
  return code
end

if op == 'room' then
  return reply({ room = load(ARGV[6]) or false })
end

if op == 'membership' then
  local code, peer = member(ARGV[6])
  if not code then return reply({}) end
  return reply({ room = load(code), peerId = peer })
end

if op == 'create' then
  local s, max, pw, grace, instance = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
  local code, peer = member(s)
  if code then return already(code, peer) end
  if roomCount() >= maxRooms then return fail('server_full', 'the server has no room for another game; try again later') end
  for i = 11, #ARGV do
    if redis.call('EXISTS', rk(ARGV[i])) == 0 then
      open(ARGV[i], s, instance, max, pw, grace, {})
      return reply({ ok = true, room = load(ARGV[i]), count = roomCount() })
    end
  end
  return reply({ ok = false, code = 'codes_taken' })
end

if op == 'reclaim' then
  local s, max, pw, grace, claimed, code = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
  local peers = {}
  for i = 12, #ARGV do peers[#peers + 1] = tonumber(ARGV[i]) end
  local held, heldPeer = member(s)
  if held then return already(held, heldPeer) end
  local refused = 'this host token does not belong to this room code (or this server)'
  if claimed == '' then return fail('reclaim_refused', refused) end
  local key = rk(code)
  if redis.call('EXISTS', key) == 1 then
    if redis.call('HGET', key, 'instance') ~= claimed then return fail('reclaim_refused', refused) end
    local replaced = redis.call('HGET', key, 'host')
    if replaced ~= '' then redis.call('DEL', mk(replaced)) end
    redis.call('HSET', key, 'host', s, 'max', max, 'pw', pw, 'grace', grace, 'refusing', '0')
    redis.call('HDEL', key, 'd:1')
    local listed, flat = {}, redis.call('HGETALL', key)
    for _, id in ipairs(peers) do listed[id] = true end
    local unlisted, nr = {}, 0
    for i = 1, #flat, 2 do
      local f = flat[i]
      local kind, id = string.sub(f, 1, 2), tonumber(string.sub(f, 3))
      if kind == 'r:' then redis.call('HDEL', key, f)
      elseif kind == 'c:' and not listed[id] then unlisted[#unlisted + 1] = id end
    end
    for _, id in ipairs(peers) do
      if redis.call('HEXISTS', key, 'c:' .. id) == 0 then
        redis.call('HSET', key, 'r:' .. id, '1')
        nr = nr + 1
      end
    end
    redis.call('HSET', key, 'nr', nr, 'empty', '')
    -- A takeover starts the empty-room countdown over.
    occupancy(code)
    addMember(code, s, 1)
    keep(code)
    if replaced == '' then replaced = false end
    return reply({ ok = true, room = load(code), takeover = { replaced = replaced, unlisted = unlisted } })
  end
  if redis.call('EXISTS', P .. 'closed:' .. claimed) == 1 then return fail('reclaim_refused', refused) end
  if roomCount() >= maxRooms then return fail('server_full', 'the server has no room for another game; try again later') end
  open(code, s, claimed, max, pw, grace, peers)
  return reply({ ok = true, room = load(code), count = roomCount() })
end

if op == 'join' then
  local s, code, verified = ARGV[6], ARGV[7], ARGV[8]
  local held, heldPeer = member(s)
  if held then return already(held, heldPeer) end
  local key = rk(code)
  local r = redis.call('HMGET', key, 'pw', 'refusing', 'nc', 'nr', 'max')
  if not r[1] then return fail('no_such_room', 'no room has this code') end
  -- Before anything else about the room: without its password, nobody learns if it is full or refusing.
  if r[1] ~= '' and verified ~= r[1] then return reply({ ok = false, code = 'password', pw = r[1] }) end
  if r[2] == '1' then return fail('room_refusing', 'this room is not accepting new players') end
  if tonumber(r[3]) + tonumber(r[4]) >= tonumber(r[5]) then
    return fail('room_full', 'this room is full (' .. r[5] .. ' players)')
  end
  for i = 9, #ARGV do
    local id = ARGV[i]
    if redis.call('HEXISTS', key, 'c:' .. id) == 0 and redis.call('HEXISTS', key, 'r:' .. id) == 0 then
      redis.call('HSET', key, 'c:' .. id, s, 'empty', '')
      redis.call('HINCRBY', key, 'nc', 1)
      addMember(code, s, id)
      return reply({ ok = true, room = load(code), peerId = tonumber(id) })
    end
  end
  return reply({ ok = false, code = 'ids_taken' })
end

if op == 'resume' then
  local s, code, peer, claimed = ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9]
  local held, heldPeer = member(s)
  if held then return already(held, heldPeer) end
  local refused = 'this resume token does not belong to this room and peer'
  if claimed == '' then return fail('invalid_request', refused) end
  local key = rk(code)
  local instance = redis.call('HGET', key, 'instance')
  if not instance then return fail('no_such_room', 'no room has this code (yet); try again shortly') end
  if instance ~= claimed then return fail('invalid_request', refused) end
  local current = redis.call('HGET', key, 'c:' .. peer)
  local reserved = redis.call('HEXISTS', key, 'r:' .. peer) == 1
  if not current and not reserved then
    return fail('session_expired', 'peer ' .. peer .. ' is no longer in this room; join it again')
  end
  local replaced = false
  if current and current ~= '' then
    replaced = current
    redis.call('DEL', mk(current))
  end
  if not current then
    redis.call('HDEL', key, 'r:' .. peer)
    redis.call('HINCRBY', key, 'nr', -1)
    redis.call('HINCRBY', key, 'nc', 1)
  end
  redis.call('HSET', key, 'c:' .. peer, s)
  redis.call('HDEL', key, 'd:' .. peer)
  addMember(code, s, peer)
  occupancy(code)
  return reply({ ok = true, room = load(code), peerId = peer, replaced = replaced })
end

if op == 'leave' then
  local code, peer = member(ARGV[6])
  if not code then return reply({ kind = 'none' }) end
  return reply(leave(ARGV[6], code, peer))
end

if op == 'drop' then
  local s, detachId = ARGV[6], ARGV[7]
  local code, peer = member(s)
  if not code then return reply({ kind = 'none' }) end
  local key = rk(code)
  if tonumber(redis.call('HGET', key, 'grace')) == 0 then return reply(leave(s, code, peer)) end
  redis.call('DEL', mk(s))
  if peer == 1 then redis.call('HSET', key, 'host', '') else redis.call('HSET', key, 'c:' .. peer, '') end
  redis.call('HSET', key, 'd:' .. peer, detachId)
  return reply({ kind = 'detached', room = load(code), peerId = peer })
end

if op == 'expire' then
  local code, instance, peer, detachId = ARGV[6], ARGV[7], tonumber(ARGV[8]), ARGV[9]
  local key = rk(code)
  if redis.call('HGET', key, 'instance') ~= instance then return reply({ kind = 'none' }) end
  if detachId ~= '' and redis.call('HGET', key, 'd:' .. peer) ~= detachId then return reply({ kind = 'none' }) end
  if peer == 1 then
    if redis.call('HGET', key, 'host') ~= '' then return reply({ kind = 'none' }) end
    return reply(close(code))
  end
  if redis.call('HGET', key, 'c:' .. peer) ~= '' then return reply({ kind = 'none' }) end
  redis.call('HDEL', key, 'c:' .. peer, 'd:' .. peer)
  redis.call('HINCRBY', key, 'nc', -1)
  occupancy(code)
  return reply({ kind = 'client_left', room = load(code), peerId = peer })
end

if op == 'kick' then
  local s, peer = ARGV[6], tonumber(ARGV[7])
  local code, refused = hostOf(s, 'kick')
  if not code then return refused end
  local key = rk(code)
  if redis.call('HDEL', key, 'r:' .. peer) == 1 then
    redis.call('HINCRBY', key, 'nr', -1)
    occupancy(code)
    return reply({ ok = true, kind = 'reserved', room = load(code) })
  end
  local current = redis.call('HGET', key, 'c:' .. peer)
  if not current then return fail('unknown_peer', 'peer ' .. peer .. ' is not in this room') end
  redis.call('HDEL', key, 'c:' .. peer, 'd:' .. peer)
  redis.call('HINCRBY', key, 'nc', -1)
  occupancy(code)
  if current == '' then return reply({ ok = true, kind = 'detached', room = load(code) }) end
  redis.call('DEL', mk(current))
  return reply({ ok = true, kind = 'client', room = load(code), clientSocketId = current })
end

if op == 'refusing' then
  local code, refused = hostOf(ARGV[6], 'set refusing')
  if not code then return refused end
  local key = rk(code)
  local changed = redis.call('HGET', key, 'refusing') ~= ARGV[7]
  redis.call('HSET', key, 'refusing', ARGV[7])
  return reply({ ok = true, room = load(code), changed = changed })
end

if op == 'route' then
  local code, peer = member(ARGV[6])
  if not code then return fail('not_in_room', 'signal needs a room; create or join one first') end
  local key = rk(code)
  if peer ~= 1 then return reply({ ok = true, from = peer, target = redis.call('HGET', key, 'host') }) end
  if ARGV[7] == '' then return fail('unknown_peer', 'the host must say which client a signal is for (to)') end
  local target = redis.call('HGET', key, 'c:' .. ARGV[7])
  if not target then return fail('unknown_peer', 'peer ' .. ARGV[7] .. ' is not in this room') end
  return reply({ ok = true, from = 1, target = target })
end

if op == 'closeIfEmpty' then
  local code, instance, emptyMs = ARGV[6], ARGV[7], tonumber(ARGV[8])
  local key = rk(code)
  local r = redis.call('HMGET', key, 'instance', 'host', 'empty')
  if r[1] ~= instance or r[2] == '' or r[3] == '' then return reply({ kind = 'none' }) end
  local left = tonumber(r[3]) + emptyMs - now
  if left > 0 then return reply({ kind = 'wait', ms = left }) end
  return reply({ kind = 'closed', hostSocketId = r[2], outcome = close(code) })
end

if op == 'renew' then
  local gone = {}
  for i = 6, #ARGV do
    local code, peer = member(ARGV[i])
    if code and peer == 1 then keep(code) else gone[#gone + 1] = ARGV[i] end
  end
  return reply({ count = roomCount(), gone = gone })
end

return redis.error_reply('unknown room step ' .. tostring(op))
`;
