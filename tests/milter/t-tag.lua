-- t-tag.lua - tag action, forged headers, direction (see lib.lua)
local lib = dofile(libdir .. "/lib.lua")

lib.run(function()
  -- a card number to an external recipient: tagged
  local card = lib.card()
  local conn, r = lib.txn{
    headers = {{"Subject", "invoice"}, {"X-Exfil-Verdict", "accept"}},
    body = "Please charge card " .. card .. " today.\r\n" }
  lib.check(r == SMFIR_CONTINUE, "card: EOM reply is continue (got " .. lib.reply_name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"), "card: X-Exfil-Verdict: tag added")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Score"), "card: X-Exfil-Score added")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Ref"), "card: X-Exfil-Ref added")
  lib.check(not mt.eom_check(conn, MT_HDRADD, "X-Exfil-Rules"), "card: no X-Exfil-Rules by default")
  lib.check(mt.eom_check(conn, MT_HDRCHANGE, "X-Exfil-Verdict"), "card: client-sent X-Exfil-Verdict removed")
  local score = mt.getheader(conn, "X-Exfil-Score", 0)
  lib.check(score ~= nil and tonumber(score) ~= nil and tonumber(score) > 0, "card: score is a positive number")
  mt.disconnect(conn)

  -- a clean message: no verdict header, forged one still removed
  conn, r = lib.txn{
    headers = {{"Subject", "lunch"}, {"X-Exfil-Score", "0"}},
    body = "Lunch at noon? Order 1234 5678 9012 3456 is not a card.\r\n" }
  lib.check(r == SMFIR_CONTINUE, "clean: EOM reply is continue")
  lib.check(not mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict"), "clean: no verdict header")
  lib.check(mt.eom_check(conn, MT_HDRCHANGE, "X-Exfil-Score"), "clean: client-sent X-Exfil-Score removed")
  mt.disconnect(conn)

  -- all recipients internal: not judged
  conn, r = lib.txn{
    rcpts = {"<carol@example.com>", "<dave@sub.example.com>"},
    body = "card " .. lib.card() .. "\r\n" }
  lib.check(r == SMFIR_CONTINUE, "internal: EOM reply is continue")
  lib.check(not mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict"), "internal: not tagged")
  mt.disconnect(conn)

  -- one external recipient among internal ones: judged
  conn, r = lib.txn{
    rcpts = {"<carol@example.com>", "<eve@partner.example>"},
    body = "card " .. lib.card() .. "\r\n" }
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"), "mixed: tagged")
  mt.disconnect(conn)

  -- a card in a quoted-printable CSV attachment
  local body = table.concat({
    "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n",
    "--b1\r\nContent-Type: text/csv; name=\"cards.csv\"\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Disposition: attachment; filename=\"cards.csv\"\r\n\r\n",
    "name,card\r\nalice,", lib.card():gsub(" ", ""), "\r\n",
    "--b1--\r\n" })
  conn, r = lib.txn{
    headers = {{"Subject", "list"}, {"MIME-Version", "1.0"},
               {"Content-Type", "multipart/mixed; boundary=\"b1\""}},
    body = body }
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"), "attachment: tagged")
  mt.disconnect(conn)
end)
