-- t-extract.lua - attachments read by the daemon's extraction workers
-- (see lib.lua): an encrypted zip is tagged (encrypted_attachment), a PDF
-- holding a key id is quarantined. The files are tests/data/extract/'s.
local lib = dofile(libdir .. "/lib.lua")

local function base64(s)
  local a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local out, line = {}, {}
  for i = 1, #s, 3 do
    local b1, b2, b3 = s:byte(i, i + 2)
    local n = b1 * 65536 + (b2 or 0) * 256 + (b3 or 0)
    local c = {}
    for k = 3, 0, -1 do
      local v = math.floor(n / 64 ^ k) % 64
      c[#c + 1] = a:sub(v + 1, v + 1)
    end
    if not b2 then c[3] = "=" end
    if not b3 then c[4] = "=" end
    line[#line + 1] = table.concat(c)
    if #line == 19 then
      out[#out + 1] = table.concat(line)
      line = {}
    end
  end
  if #line > 0 then out[#out + 1] = table.concat(line) end
  return table.concat(out, "\r\n") .. "\r\n"
end

local function attach(file, ctype)
  local f = assert(io.open(libdir .. "/../data/extract/" .. file, "rb"))
  local data = f:read("*a")
  f:close()
  return lib.txn{
    headers = {{"Subject", "files"}, {"MIME-Version", "1.0"},
               {"Content-Type", "multipart/mixed; boundary=\"b1\""}},
    body = "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" ..
           "--b1\r\nContent-Type: " .. ctype .. "\r\n" ..
           "Content-Transfer-Encoding: base64\r\n" ..
           "Content-Disposition: attachment; filename=\"" .. file .. "\"\r\n\r\n" ..
           base64(data) .. "--b1--\r\n" }
end

lib.run(function()
  local conn, r = attach("enc-zipcrypto.zip", "application/zip")
  lib.check(r == SMFIR_CONTINUE, "encrypted zip: continue (got " .. lib.reply_name(r) .. ")")
  lib.check(mt.eom_check(conn, MT_HDRADD, "X-Exfil-Verdict", "tag"), "encrypted zip: tagged")
  mt.disconnect(conn)

  conn, r = attach("doc.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
  lib.check(r == SMFIR_DISCARD, "docx with a key id: quarantined (got " .. lib.reply_name(r) .. ")")
  mt.disconnect(conn)
end)
