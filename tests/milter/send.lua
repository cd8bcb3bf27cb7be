-- send.lua - send one message read from a file and print what the milter
-- did, for shell tests:
--   miltertest -s send.lua -D sock=unix:PATH -D libdir=DIR -D body=FILE
--              [-D rcpt=ADDR] [-D from=ADDR]
-- prints "reply=<c|d|y|t|...>" and "verdict=<X-Exfil-Verdict or none>"
local lib = dofile(libdir .. "/lib.lua")

lib.run(function()
  local f = assert(io.open(body, "rb"))
  local text = f:read("a")
  f:close()
  local conn, r = lib.txn{ rcpts = {rcpt or "<bob@partner.example>"},
                           from = from, body = text }
  mt.echo("reply=" .. lib.reply_name(r))
  mt.echo("verdict=" .. tostring(mt.getheader(conn, "X-Exfil-Verdict", 0) or "none"))
  mt.disconnect(conn)
end)
