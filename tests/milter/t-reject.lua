-- t-reject.lua - reject action via the test rule of t-miltertest.sh
local lib = dofile(libdir .. "/lib.lua")

lib.run(function()
  local conn, r = lib.txn{ body = "marker EXFIL-TEST-REJECT-123456 here\r\n" }
  lib.check(r == SMFIR_REPLYCODE, "reject: EOM reply is a reply code (got " .. lib.reply_name(r) .. ")")
  lib.check(not mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict"), "reject: no header added")
  mt.disconnect(conn)

  -- the marker to an internal recipient only: accepted
  conn, r = lib.txn{ rcpts = {"<carol@example.com>"},
                     body = "marker EXFIL-TEST-REJECT-123456 here\r\n" }
  lib.check(r == SMFIR_CONTINUE, "reject rule, internal recipient: continue")
  mt.disconnect(conn)
end)
