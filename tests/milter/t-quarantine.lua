-- t-quarantine.lua - quarantine action (see lib.lua); the runner checks
-- the quarantine folder afterwards.
local lib = dofile(libdir .. "/lib.lua")

lib.run(function()
  local conn, r = lib.txn{
    headers = {{"Subject", "the key"}},
    body = "here it is\r\n-----BEGIN OPENSSH PRIVATE KEY-----\r\n" ..
           "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\r\n" ..
           "-----END OPENSSH PRIVATE KEY-----\r\n" }
  lib.check(r == SMFIR_DISCARD, "key: EOM reply is discard (got " .. lib.reply_name(r) .. ")")
  lib.check(not mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict"), "key: no header added to a discarded message")
  mt.disconnect(conn)

  -- the same key with an override in the Subject: tagged, marker removed
  conn, r = lib.txn{
    headers = {{"Subject", "[override: customer asked] the key"}},
    body = "here it is\r\n-----BEGIN OPENSSH PRIVATE KEY-----\r\n" ..
           "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\r\n" ..
           "-----END OPENSSH PRIVATE KEY-----\r\n" }
  lib.check(r == SMFIR_CONTINUE, "override: continue, not discard (got " .. lib.reply_name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"), "override: tagged")
  lib.check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "the key"), "override: marker removed from the Subject")
  mt.disconnect(conn)

  -- ten distinct cards: quarantine by count
  local cards = {}
  for i = 1, 10 do cards[#cards + 1] = lib.card() end
  conn, r = lib.txn{ body = "dump:\r\n" .. table.concat(cards, "\r\n") .. "\r\n" }
  lib.check(r == SMFIR_DISCARD, "ten cards: discard (got " .. lib.reply_name(r) .. ")")
  mt.disconnect(conn)

  -- the same card ten times counts once: tag only
  local one = lib.card()
  local same = {}
  for i = 1, 10 do same[#same + 1] = one end
  conn, r = lib.txn{ body = table.concat(same, "\r\n") .. "\r\n" }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"),
            "same card ten times: tagged, not quarantined")
  mt.disconnect(conn)
end)
