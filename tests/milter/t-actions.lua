-- t-actions.lua - the actions and policy conditions, at the milter protocol
-- level (see lib.lua). Run by t-actions.sh, once per case, against a daemon
-- started with that case's configuration:
--   miltertest -s t-actions.lua -D sock=unix:PATH -D libdir=DIR -D case=NAME
--
-- Cases and the configuration t-actions.sh gives each of them
-- (internal_domains = example.com, .example.com everywhere):
--   tag           subject_prefix = [SENSITIVE], tag_copy_to = dlp-review@example.com
--   hold          quarantine_mode = hold
--   redirect      quarantine_mode = redirect,
--                 quarantine_redirect_to = dlp-quarantine@example.com
--   split         split_recipients = yes (quarantine_mode = store)
--   splithold     split_recipients = yes, quarantine_mode = hold
--   splitredirect split_recipients = yes, quarantine_mode = redirect
--   monitor       monitor_mode = yes (and subject_prefix, tag_copy_to set)
--   policy        internal_networks and the policy of t-actions.sh
--                 (authenticated, client, mode monitor, external_rcpts,
--                 size, sender_domain, rcpt_domain, allow)
--   timeout       scan_timeout = 1, on_timeout = reject
-- Every case also has the test rule of t-actions.sh that rejects
-- EXFIL-TEST-REJECT-nnnnnn.
local lib = dofile(libdir .. "/lib.lua")

local INT1, INT2 = "<carol@example.com>", "<dave@sub.example.com>"
local EXT1, EXT2 = "<eve@partner.example>", "<frank@other.example>"
local COPY = "<dlp-review@example.com>"
local REDIR = "<dlp-quarantine@example.com>"
local PREFIX = "[SENSITIVE]"

local KEY = "here it is\r\n-----BEGIN OPENSSH PRIVATE KEY-----\r\n" ..
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\r\n" ..
  "-----END OPENSSH PRIVATE KEY-----\r\n"
local MARKER = "Status report EXFIL-TEST-REJECT-314159, do not forward.\r\n"

local function card_body()
  return "Please charge card " .. lib.card() .. " today.\r\n"
end

local function ten_cards()
  local c = {}
  for i = 1, 10 do c[#c + 1] = lib.card() end
  return "dump:\r\n" .. table.concat(c, "\r\n") .. "\r\n"
end

local function name(r) return lib.reply_name(r) end

-- every value of an added header, in any order
local function added(conn, hname)
  local v, i = {}, 0
  while true do
    local x = mt.getheader(conn, hname, i)
    if x == nil then break end
    v[#v + 1] = x
    i = i + 1
  end
  return v
end

local function set_of(list)
  local s = {}
  for _, x in ipairs(list) do s[x] = true end
  return s
end

-- no header, recipient, body or quarantine change at all; rcpts and
-- extra are the recipients that must be neither removed nor added
local function unmodified(conn, rcpts, extra)
  if mt.eom_check(conn, MT_HDRADD) or mt.eom_check(conn, MT_HDRINSERT) or
     mt.eom_check(conn, MT_HDRCHANGE) or mt.eom_check(conn, MT_QUARANTINE) or
     mt.eom_check(conn, MT_BODYCHANGE) then
    return false
  end
  for _, list in ipairs({rcpts or {}, extra or {}}) do
    for _, a in ipairs(list) do
      if mt.eom_check(conn, MT_RCPTDELETE, a) or mt.eom_check(conn, MT_RCPTADD, a) then
        return false
      end
    end
  end
  return true
end

local cases = {}

-- subject_prefix and tag_copy_to --------------------------------------
function cases.tag()
  local conn, r = lib.txn{ headers = {{"Subject", "invoice"}}, body = card_body() }
  lib.check(r == SMFIR_CONTINUE, "tag: EOM reply is continue (got " .. name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"), "tag: X-Exfil-Verdict: tag added")
  lib.check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", PREFIX .. " invoice"),
            "tag: MT_HDRCHANGE Subject '" .. PREFIX .. " invoice'")
  lib.check(mt.eom_check(conn, MT_RCPTADD, COPY), "tag: MT_RCPTADD " .. COPY .. " (tag_copy_to)")
  lib.check(not mt.eom_check(conn, MT_RCPTDELETE, EXT1), "tag: the original recipient stays")
  lib.check(not mt.eom_check(conn, MT_QUARANTINE), "tag: no MT_QUARANTINE")
  mt.disconnect(conn)

  -- a message without a Subject gets one
  conn, r = lib.txn{ headers = {{"From", "alice@example.com"}}, body = card_body() }
  local subj = mt.getheader(conn, "Subject", 0)
  lib.check(r == SMFIR_CONTINUE and subj ~= nil and subj:sub(1, #PREFIX) == PREFIX,
            "tag, no Subject: MT_HDRADD Subject starting with the prefix (got " .. tostring(subj) .. ")")
  lib.check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "tag, no Subject: no MT_HDRCHANGE Subject")
  mt.disconnect(conn)

  -- already prefixed (a reply): left alone, still copied
  conn, r = lib.txn{ headers = {{"Subject", PREFIX .. " Re: invoice"}}, body = card_body() }
  lib.check(r == SMFIR_CONTINUE and not mt.eom_check(conn, MT_HDRCHANGE, "Subject") and
            not mt.eom_check(conn, MT_HDRADD, "Subject"),
            "tag, Subject already prefixed: Subject not changed again")
  lib.check(mt.eom_check(conn, MT_RCPTADD, COPY), "tag, Subject already prefixed: copy still added")
  mt.disconnect(conn)

  -- clean: nothing
  conn, r = lib.txn{ headers = {{"Subject", "lunch"}}, body = "Lunch at noon?\r\n" }
  lib.check(r == SMFIR_CONTINUE and unmodified(conn, {EXT1}, {COPY}),
            "clean: continue, no Subject change, no copy, no header")
  mt.disconnect(conn)

  -- quarantined (store): discarded, no copy, no prefix
  conn, r = lib.txn{ headers = {{"Subject", "the key"}}, body = KEY }
  lib.check(r == SMFIR_DISCARD, "key (store): EOM reply is discard (got " .. name(r) .. ")")
  lib.check(not mt.eom_check(conn, MT_RCPTADD, COPY) and not mt.eom_check(conn, MT_HDRCHANGE, "Subject"),
            "key (store): no copy to tag_copy_to, no Subject prefix")
  mt.disconnect(conn)

  -- inbound (all recipients internal): not judged, not copied
  conn, r = lib.txn{ rcpts = {INT1}, body = card_body() }
  lib.check(r == SMFIR_CONTINUE and unmodified(conn, {INT1}, {COPY}),
            "inbound card: not tagged, no prefix, no copy")
  mt.disconnect(conn)
end

-- quarantine_mode = hold ------------------------------------------------
function cases.hold()
  local conn, r = lib.txn{ rcpts = {EXT1, INT1}, headers = {{"Subject", "the key"}}, body = KEY }
  lib.check(r == SMFIR_CONTINUE, "hold: EOM reply is continue (got " .. name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_QUARANTINE), "hold: MT_QUARANTINE")
  local ref = mt.getheader(conn, "X-Exfil-Ref", 0)
  lib.check(ref ~= nil and mt.eom_check(conn, MT_QUARANTINE, "exfil-milter ref " .. ref),
            "hold: quarantine reason 'exfil-milter ref " .. tostring(ref) .. "'")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "quarantine"), "hold: X-Exfil-Verdict: quarantine")
  lib.check(not mt.eom_check(conn, MT_RCPTDELETE, EXT1) and not mt.eom_check(conn, MT_RCPTDELETE, INT1),
            "hold: recipients untouched")
  mt.disconnect(conn)

  conn, r = lib.txn{ body = ten_cards() }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_QUARANTINE),
            "hold: ten distinct cards (default policy: quarantine) -> MT_QUARANTINE")
  mt.disconnect(conn)

  conn, r = lib.txn{ body = card_body() }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag") and
            not mt.eom_check(conn, MT_QUARANTINE), "hold: one card is tagged, not held")
  mt.disconnect(conn)

  conn, r = lib.txn{ body = MARKER }
  lib.check(r == SMFIR_REPLYCODE and not mt.eom_check(conn, MT_QUARANTINE),
            "hold: reject marker is still rejected (got " .. name(r) .. ")")
  mt.disconnect(conn)
end

-- quarantine_mode = redirect ------------------------------------------
function cases.redirect()
  local rcpts = {EXT1, EXT2, INT1}
  local conn, r = lib.txn{ rcpts = rcpts, headers = {{"Subject", "the key"}}, body = KEY }
  lib.check(r == SMFIR_CONTINUE, "redirect: EOM reply is continue (got " .. name(r) .. ")")
  for _, a in ipairs(rcpts) do
    lib.check(mt.eom_check(conn, MT_RCPTDELETE, a), "redirect: MT_RCPTDELETE " .. a)
  end
  lib.check(mt.eom_check(conn, MT_RCPTADD, REDIR), "redirect: MT_RCPTADD " .. REDIR)
  local orig = set_of(added(conn, "X-Exfil-Original-Rcpt"))
  local n = 0
  for _ in pairs(orig) do n = n + 1 end
  lib.check(n == 3 and orig["eve@partner.example"] and orig["frank@other.example"] and
            orig["carol@example.com"],
            "redirect: one X-Exfil-Original-Rcpt per original recipient (" .. n .. ")")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "quarantine") and
            mt.eom_check(conn, MT_HDRADD, "X-Exfil-Ref"), "redirect: X-Exfil-Verdict: quarantine and X-Exfil-Ref")
  lib.check(not mt.eom_check(conn, MT_QUARANTINE), "redirect: no MT_QUARANTINE")
  mt.disconnect(conn)

  conn, r = lib.txn{ body = card_body() }
  lib.check(r == SMFIR_CONTINUE and not mt.eom_check(conn, MT_RCPTDELETE, EXT1) and
            not mt.eom_check(conn, MT_RCPTADD, REDIR), "redirect: a tagged message is not redirected")
  mt.disconnect(conn)
end

-- split_recipients (store) --------------------------------------------
function cases.split()
  local conn, r = lib.txn{ rcpts = {INT1, EXT1, INT2, EXT2},
                           headers = {{"Subject", "the key"}}, body = KEY }
  lib.check(r == SMFIR_CONTINUE, "split quarantine: EOM reply is continue (got " .. name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_RCPTDELETE, EXT1) and mt.eom_check(conn, MT_RCPTDELETE, EXT2),
            "split quarantine: MT_RCPTDELETE of both external recipients")
  lib.check(not mt.eom_check(conn, MT_RCPTDELETE, INT1) and not mt.eom_check(conn, MT_RCPTDELETE, INT2),
            "split quarantine: the internal recipients stay")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "quarantine") and
            mt.eom_check(conn, MT_HDRADD, "X-Exfil-Ref"), "split quarantine: X-Exfil-Verdict: quarantine, X-Exfil-Ref")
  lib.check(not mt.eom_check(conn, MT_QUARANTINE), "split quarantine: no MT_QUARANTINE (store mode)")
  mt.disconnect(conn)

  conn, r = lib.txn{ rcpts = {INT1, EXT1}, body = MARKER }
  lib.check(r == SMFIR_CONTINUE, "split reject: EOM reply is continue, no 550 (got " .. name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_RCPTDELETE, EXT1) and not mt.eom_check(conn, MT_RCPTDELETE, INT1),
            "split reject: only the external recipient removed")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "reject"), "split reject: X-Exfil-Verdict: reject")
  mt.disconnect(conn)

  conn, r = lib.txn{ rcpts = {EXT1, EXT2}, body = KEY }
  lib.check(r == SMFIR_DISCARD and not mt.eom_check(conn, MT_RCPTDELETE, EXT1),
            "split, external only: quarantined as usual (discard, got " .. name(r) .. ")")
  mt.disconnect(conn)

  conn, r = lib.txn{ rcpts = {EXT1}, body = MARKER }
  lib.check(r == SMFIR_REPLYCODE, "split, external only: rejected as usual (got " .. name(r) .. ")")
  mt.disconnect(conn)

  conn, r = lib.txn{ rcpts = {INT1, EXT1}, body = card_body() }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag") and
            not mt.eom_check(conn, MT_RCPTDELETE, EXT1), "split, tag verdict: not split")
  mt.disconnect(conn)
end

-- split_recipients with quarantine_mode = hold --------------------------
function cases.splithold()
  local conn, r = lib.txn{ rcpts = {EXT1}, body = KEY }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_QUARANTINE),
            "split+hold, external only: held as usual (MT_QUARANTINE, continue; got " .. name(r) ..
            ", quarantine " .. tostring(mt.eom_check(conn, MT_QUARANTINE)) .. ")")
  mt.disconnect(conn)

  conn, r = lib.txn{ rcpts = {INT1, EXT1}, body = KEY }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_RCPTDELETE, EXT1) and
            not mt.eom_check(conn, MT_RCPTDELETE, INT1) and not mt.eom_check(conn, MT_QUARANTINE),
            "split+hold, mixed: split (external removed, not held)")
  mt.disconnect(conn)
end

-- split_recipients with quarantine_mode = redirect ----------------------
function cases.splitredirect()
  local conn, r = lib.txn{ rcpts = {EXT1}, body = KEY }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_RCPTDELETE, EXT1) and
            mt.eom_check(conn, MT_RCPTADD, REDIR),
            "split+redirect, external only: redirected as usual (got " .. name(r) .. ")")
  mt.disconnect(conn)

  conn, r = lib.txn{ rcpts = {INT1, EXT1}, body = KEY }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_RCPTDELETE, EXT1) and
            not mt.eom_check(conn, MT_RCPTDELETE, INT1) and not mt.eom_check(conn, MT_RCPTADD, REDIR),
            "split+redirect, mixed: split (external removed, not redirected)")
  mt.disconnect(conn)
end

-- monitor_mode = yes ------------------------------------------------------
function cases.monitor()
  local conn, r = lib.txn{ rcpts = {EXT1, INT1}, headers = {{"Subject", "the key"}}, body = KEY }
  lib.check(r == SMFIR_CONTINUE, "monitor key: EOM reply is continue (got " .. name(r) .. ")")
  lib.check(unmodified(conn, {EXT1, INT1}, {COPY}), "monitor key: no modification at all")
  mt.disconnect(conn)

  conn, r = lib.txn{ headers = {{"Subject", "invoice"}}, body = card_body() }
  lib.check(r == SMFIR_CONTINUE and unmodified(conn, {EXT1}, {COPY}),
            "monitor card: continue, no tag, no Subject prefix, no copy")
  mt.disconnect(conn)

  conn, r = lib.txn{ body = MARKER }
  lib.check(r == SMFIR_CONTINUE and unmodified(conn, {EXT1}, {COPY}),
            "monitor reject marker: continue, no modification (got " .. name(r) .. ")")
  mt.disconnect(conn)

  conn, r = lib.txn{ headers = {{"Subject", "x"}, {"X-Exfil-Verdict", "accept"}}, body = KEY }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_HDRCHANGE, "X-Exfil-Verdict") and
            not mt.eom_check(conn, MT_HDRADD), "monitor: a client-sent X-Exfil-Verdict is still removed")
  mt.disconnect(conn)
end

-- policy conditions -------------------------------------------------------
function cases.policy()
  -- authenticated yes/no: when category payment_card authenticated no then quarantine
  local conn, r = lib.txn{ auth = "alice", body = card_body() }
  lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"),
            "auth: card from an authenticated sender ({auth_authen}=alice) is tagged (got " .. name(r) .. ")")
  mt.disconnect(conn)
  conn, r = lib.txn{ body = card_body() }
  lib.check(r == SMFIR_DISCARD, "auth: card from an unauthenticated sender is quarantined (discard; got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- client internal/external (internal_networks = 10.0.0.0/8, 192.0.2.128/25, 2001:db8:1::/48)
  local M = "client marker EXFIL-T-CLIENT-4711\r\n"
  local addrs = {
    {"10.1.2.3", true}, {"192.0.2.200", true}, {"192.0.2.10", false},
    {"2001:db8:1::5", true}, {"2001:db8:2::5", false}, {"::ffff:10.9.8.7", true},
  }
  for _, a in ipairs(addrs) do
    conn, r = lib.txn{ addr = a[1], body = M }
    if a[2] then
      lib.check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"),
                "client " .. a[1] .. " is internal: tag (got " .. name(r) .. ")")
    else
      lib.check(r == SMFIR_REPLYCODE, "client " .. a[1] .. " is external: reject (got " .. name(r) .. ")")
    end
    mt.disconnect(conn)
  end

  -- mode monitor: the rule's finding never acts
  conn, r = lib.txn{ body = "EXFIL-T-MONITOR-0001\r\n" }
  lib.check(r == SMFIR_CONTINUE and not mt.eom_check(conn, MT_HDRADD),
            "rule in mode monitor (policy: reject): continue, nothing added (got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- external_rcpts 3
  local B = "EXFIL-T-BULK-0001\r\n"
  conn, r = lib.txn{ rcpts = {EXT1, EXT2, INT1, INT2}, body = B }
  lib.check(r == SMFIR_CONTINUE, "external_rcpts 3: two external recipients: accepted (got " .. name(r) .. ")")
  mt.disconnect(conn)
  conn, r = lib.txn{ rcpts = {EXT1, EXT2, "<gina@third.example>", INT1}, body = B }
  lib.check(r == SMFIR_REPLYCODE, "external_rcpts 3: three external recipients: rejected (got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- size 20000
  local S = "EXFIL-T-SIZE-0001\r\n"
  conn, r = lib.txn{ body = S }
  lib.check(r == SMFIR_CONTINUE, "size 20000: small message accepted (got " .. name(r) .. ")")
  mt.disconnect(conn)
  conn, r = lib.txn{ body = S .. string.rep("padding line of text for the size test\r\n", 600) }
  lib.check(r == SMFIR_REPLYCODE, "size 20000: 24 KB message rejected (got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- sender_domain corp-a.example
  local D = "EXFIL-T-SENDER-0001\r\n"
  conn, r = lib.txn{ from = "<alice@corp-a.example>", body = D }
  lib.check(r == SMFIR_REPLYCODE, "sender_domain: from corp-a.example rejected (got " .. name(r) .. ")")
  mt.disconnect(conn)
  conn, r = lib.txn{ from = "<alice@corp-b.example>", body = D }
  lib.check(r == SMFIR_CONTINUE, "sender_domain: from corp-b.example accepted (got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- rcpt_domain partner.example: every external recipient
  local R = "EXFIL-T-RCPTDOM-0001\r\n"
  conn, r = lib.txn{ rcpts = {EXT1, INT1}, body = R }
  lib.check(r == SMFIR_REPLYCODE, "rcpt_domain: only partner.example outside: rejected (got " .. name(r) .. ")")
  mt.disconnect(conn)
  conn, r = lib.txn{ rcpts = {EXT1, EXT2}, body = R }
  lib.check(r == SMFIR_CONTINUE, "rcpt_domain: partner.example and other.example: accepted (got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- allow category payment_card rcpt_domain cards-ok.example
  conn, r = lib.txn{ rcpts = {"<pay@cards-ok.example>"}, body = card_body() }
  lib.check(r == SMFIR_CONTINUE and not mt.eom_check(conn, MT_HDRADD),
            "allow category payment_card rcpt_domain cards-ok.example: card accepted untagged (got " .. name(r) .. ")")
  mt.disconnect(conn)
  conn, r = lib.txn{ rcpts = {"<pay@cards-ok.example>"}, body = KEY }
  lib.check(r == SMFIR_DISCARD, "allow category payment_card: a key to cards-ok.example is still quarantined (got " .. name(r) .. ")")
  mt.disconnect(conn)

  -- allow sender_domain trusted.example (no category: accept all)
  conn, r = lib.txn{ from = "<ops@trusted.example>", body = KEY }
  lib.check(r == SMFIR_CONTINUE and not mt.eom_check(conn, MT_HDRADD),
            "allow sender_domain trusted.example: a key is accepted (got " .. name(r) .. ")")
  mt.disconnect(conn)
end

-- scan_timeout = 1, on_timeout = reject ----------------------------------
-- t-actions.sh writes (with awk: Lua in miltertest is slow) a clean text
-- that takes seconds to scan: multipart/mixed, boundary b1, card-like
-- numbers that all fail the Luhn check, in many parts (the time is
-- checked between parts); -D slow_small=FILE is a sample of the same.
local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local MIME = {{"Subject", "orders"}, {"MIME-Version", "1.0"},
              {"Content-Type", "multipart/mixed; boundary=\"b1\""}}

function cases.timeout()
  local conn, r = lib.txn{ headers = MIME, body = read_file(slow_small) }
  lib.check(r == SMFIR_CONTINUE and not mt.eom_check(conn, MT_HDRADD),
            "timeout: a small sample of the slow text is clean (got " .. name(r) .. ")")
  mt.disconnect(conn)
  local t0 = os.time()
  conn, r = lib.txn{ headers = MIME, body = read_file(slow_big) }
  lib.check(r == SMFIR_REPLYCODE,
            "timeout: a scan that runs out of time gets on_timeout = reject: reply code (got " ..
            name(r) .. ", " .. (os.time() - t0) .. " s)")
  mt.disconnect(conn)
end

lib.run(function()
  local fn = cases[case or ""]
  if fn == nil then error("unknown case '" .. tostring(case) .. "' (-D case=NAME)") end
  fn()
end)
