-- lib.lua - shared helper of the miltertest scripts (tests/milter/t-*.lua).
--
-- A script does:   local lib = dofile(libdir .. "/lib.lua")
--                  lib.run(function() ... lib.check(cond, "what") ... end)
-- and is run by t-miltertest.sh as
--   miltertest -s t-x.lua -D sock=unix:PATH -D libdir=DIR
-- against an exfil-milter that already listens on sock.
--
-- miltertest (Debian 12, v1.6.0) exits 1 without a word on a Lua error, so
-- everything runs under xpcall() and errors are printed.  Each check prints
-- "ok - what" or "not ok - what"; the runner numbers them for TAP.

local lib = {}
lib.failures = 0

function lib.check(cond, what)
  if cond then
    mt.echo("ok - " .. what)
  else
    mt.echo("not ok - " .. what)
    lib.failures = lib.failures + 1
  end
end

-- run a protocol step unless the milter negotiated it away (SMFIP_NO*)
local function step(conn, noflag, name, fn, ...)
  if noflag and mt.test_option(conn, noflag) then return end
  local err = fn(conn, ...)
  if err ~= nil then error(name .. "() failed: " .. tostring(err)) end
  local r = mt.getreply(conn)
  if r ~= SMFIR_CONTINUE then
    error(name .. "(): unexpected reply " .. string.char(r))
  end
end

-- one transaction up to end of message.
--   t = { from = "<a@x>", rcpts = {"<b@y>"}, headers = {{"Subject","x"}},
--         body = "text\r\n", qid = "ABC123", auth = "user" (optional) }
-- returns the connection (for eom_check) and the EOM reply code
function lib.txn(t)
  local conn = mt.connect(sock, 40, 0.25)
  if conn == nil then error("mt.connect(" .. tostring(sock) .. ") failed") end
  local err = mt.negotiate(conn, nil, nil, nil)
  if err ~= nil then error("negotiate: " .. err) end
  step(conn, SMFIP_NOCONNECT, "mt.conninfo", mt.conninfo,
       "client.example.org", t.addr or "192.0.2.10")
  step(conn, SMFIP_NOHELO, "mt.helo", mt.helo, "client.example.org")
  mt.macro(conn, SMFIC_MAIL, "i", t.qid or "4F2A1C", "{auth_authen}", t.auth or "")
  step(conn, SMFIP_NOMAIL, "mt.mailfrom", mt.mailfrom, t.from or "<alice@example.com>")
  for _, r in ipairs(t.rcpts or {"<bob@partner.example>"}) do
    step(conn, SMFIP_NORCPT, "mt.rcptto", mt.rcptto, r)
  end
  for _, h in ipairs(t.headers or {{"Subject", "test"}}) do
    step(conn, SMFIP_NOHDRS, "mt.header", mt.header, h[1], h[2])
  end
  step(conn, SMFIP_NOEOH, "mt.eoh", mt.eoh)
  -- libmilter takes body chunks of at most 64 KB, as MTAs send them
  local body = t.body or "hello\r\n"
  local pos = 1
  repeat
    step(conn, SMFIP_NOBODY, "mt.bodystring", mt.bodystring,
         body:sub(pos, pos + 65535 - 1))
    pos = pos + 65535
  until pos > #body
  err = mt.eom(conn)
  if err ~= nil then error("mt.eom() failed: " .. err) end
  return conn, mt.getreply(conn)
end

function lib.reply_name(r)
  return string.char(r)
end

-- a Luhn-valid 16-digit Visa-range number, made here, never a real one
function lib.card()
  local d = {4}
  for i = 2, 15 do d[i] = math.random(0, 9) end
  local sum = 0
  for i = 15, 1, -1 do
    local v = d[i]
    if (15 - i) % 2 == 0 then v = v * 2; if v > 9 then v = v - 9 end end
    sum = sum + v
  end
  d[16] = (10 - sum % 10) % 10
  local s = ""
  for i = 1, 16 do
    s = s .. d[i]
    if i % 4 == 0 and i < 16 then s = s .. " " end
  end
  return s
end

function lib.run(main)
  math.randomseed(os.time())
  local ok, msg = xpcall(main, debug.traceback)
  if not ok then
    io.stderr:write("miltertest ERROR: " .. tostring(msg) .. "\n")
    mt.echo("not ok - script error: " .. tostring(msg):gsub("\n.*", ""))
    os.exit(2)
  end
  os.exit(lib.failures > 0 and 1 or 0)
end

return lib
