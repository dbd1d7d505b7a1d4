-- Protocol-level round trip against a running mailtriaged, driven by Debian's
-- miltertest (an MTA-side milter client independent of our own codec).
--
--   miltertest -D MILTER=inet:PORT@127.0.0.1 -s roundtrip.lua
--
-- One connection carries, in order:
--   1. a normal message                 -> header added once, accepted
--   2. a second message                 -> same, nothing carried over from 1
--   3. a header-only message (see note) -> same
--   4. a message aborted mid-body       -> no reply expected
--   5. a good message after the abort   -> header added once, accepted
--   6. a transaction aborted after RCPT, then
--   7. a good message                   -> header added once, accepted
-- then a second connection with one message checks the daemon still serves
-- new connections after the first one quit.
--
-- Protocol steps the daemon opts out of at negotiation (SMFIP_NO*) are skipped,
-- and steps it marked no-reply (SMFIP_NR_*) are not waited on: miltertest
-- honours both and reports SMFIR_CONTINUE for a no-reply step.
--
-- Note on "header-only": mt.eom() injects a dummy body chunk when no body was
-- sent, so message 3 sends an empty body chunk instead; the case of no BODY
-- command at all is what Postfix does and is covered by the Postfix tests.
--
-- miltertest prints nothing on error(), so failures are echoed first.

local HEADER, VALUE = "X-Triage-Status", "seen"

local function fail(msg)
    mt.echo("FAIL: " .. msg)
    error(msg, 2)
end

local function reply_name(r)
    if r == nil or r == 0 then return "none" end
    return "'" .. string.char(math.tointeger(r) or 0) .. "'"
end

if MILTER == nil then
    fail("MILTER not set: run with -D MILTER=inet:PORT@127.0.0.1 or unix:/path")
end

local function must(rc, what)
    if rc ~= nil then fail(what .. ": " .. tostring(rc)) end
end

local function expect_reply(conn, what, ...)
    local got = mt.getreply(conn)
    for _, want in ipairs({...}) do
        if got == want then return end
    end
    fail(what .. ": unexpected reply " .. reply_name(got))
end

local function opted_out(conn, flag)
    return flag ~= nil and mt.test_option(conn, flag)
end

-- A step that the daemon may skip (SMFIP_NO*) and must otherwise continue.
local function step(conn, noflag, what, fn, ...)
    if opted_out(conn, noflag) then return end
    must(fn(conn, ...), what)
    expect_reply(conn, what, SMFIR_CONTINUE)
end

local function open_connection()
    -- 20 tries, 0.25 s apart: the daemon is already listening, this only
    -- rides out a slow start.
    local conn = mt.connect(MILTER, 20, 0.25)
    if conn == nil then fail("mt.connect(" .. MILTER .. ") failed") end
    -- Offer what Postfix offers with milter_protocol = 6 (miltertest's
    -- defaults from mfdef.h: protocol 6, all actions, all steps).
    must(mt.negotiate(conn, nil, nil, nil), "mt.negotiate")
    if not mt.test_action(conn, SMFIF_ADDHDRS) then
        fail("daemon did not request SMFIF_ADDHDRS at negotiation, yet must add " .. HEADER)
    end
    mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.net", "{daemon_name}", "smtpd", "v", "Postfix 3.7.11")
    step(conn, SMFIP_NOCONNECT, "mt.conninfo", mt.conninfo, "client.example.org", "192.0.2.10")
    step(conn, SMFIP_NOHELO, "mt.helo", mt.helo, "client.example.org")
    return conn
end

-- Envelope and DATA of one message.
local function envelope(conn, qid, from, rcpt)
    mt.macro(conn, SMFIC_MAIL, "i", qid, "{mail_addr}", from)
    step(conn, SMFIP_NOMAIL, "mt.mailfrom(" .. qid .. ")", mt.mailfrom, "<" .. from .. ">")
    mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", rcpt)
    step(conn, SMFIP_NORCPT, "mt.rcptto(" .. qid .. ")", mt.rcptto, "<" .. rcpt .. ">")
    step(conn, SMFIP_NODATA, "mt.data(" .. qid .. ")", mt.data)
end

local function headers(conn, qid, list)
    if not opted_out(conn, SMFIP_NOHDRS) then
        for _, h in ipairs(list) do
            step(conn, nil, "mt.header(" .. qid .. ", " .. h[1] .. ")", mt.header, h[1], h[2])
        end
    end
    step(conn, SMFIP_NOEOH, "mt.eoh(" .. qid .. ")", mt.eoh)
end

local function body(conn, qid, chunks)
    if opted_out(conn, SMFIP_NOBODY) then return end
    for i, chunk in ipairs(chunks) do
        local what = "mt.bodystring(" .. qid .. ", chunk " .. i .. ")"
        must(mt.bodystring(conn, chunk), what)
        -- SMFIR_SKIP: the daemon has seen enough body; stop sending.
        local r = mt.getreply(conn)
        if r == SMFIR_SKIP then return end
        if r ~= SMFIR_CONTINUE then fail(what .. ": unexpected reply " .. reply_name(r)) end
    end
end

-- EOM: accepted (SMFIR_ACCEPT, or SMFIR_CONTINUE which means the same at EOM)
-- with our header added exactly once.
local function end_of_message(conn, qid)
    must(mt.eom(conn), "mt.eom(" .. qid .. ")")
    expect_reply(conn, "mt.eom(" .. qid .. ")", SMFIR_ACCEPT, SMFIR_CONTINUE)
    if not mt.eom_check(conn, MT_HDRADD, HEADER) then
        fail(qid .. ": no " .. HEADER .. " header added at end of message")
    end
    local v = mt.getheader(conn, HEADER, 0)
    local leadspc = SMFIP_HDR_LEADSPC ~= nil and mt.test_option(conn, SMFIP_HDR_LEADSPC)
    if not (v == VALUE or (leadspc and v == " " .. VALUE)) then
        fail(qid .. ": " .. HEADER .. " has value '" .. tostring(v) .. "', want '" .. VALUE .. "'")
    end
    if mt.getheader(conn, HEADER, 1) ~= nil then
        fail(qid .. ": " .. HEADER .. " added more than once")
    end
    mt.echo("ok " .. qid .. ": " .. HEADER .. ": " .. VALUE .. ", reply " .. reply_name(mt.getreply(conn)))
end

local function std_headers(n)
    return {
        {"From", "Sender " .. n .. " <sender" .. n .. "@example.org>"},
        {"To", "<rcpt@example.net>"},
        {"Subject", "miltertest message " .. n},
        {"Date", "Tue, 01 Apr 2025 10:00:0" .. (n % 10) .. " +0000"},
        {"Message-ID", "<miltertest-" .. n .. "@example.org>"},
    }
end

local function full_message(conn, n, chunks)
    local qid = "MT" .. n
    envelope(conn, qid, "sender" .. n .. "@example.org", "rcpt@example.net")
    headers(conn, qid, std_headers(n))
    body(conn, qid, chunks)
    end_of_message(conn, qid)
end

mt.set_timeout(10)
local conn = open_connection()

-- 1 and 2: two messages on one connection.
full_message(conn, 1, {"Hello,\r\n", "first message body.\r\n"})
full_message(conn, 2, {"Second message, different body.\r\n.leading dot\r\n"})

-- 3: header-only (empty body chunk, see note above).
envelope(conn, "MT3", "sender3@example.org", "rcpt@example.net")
headers(conn, "MT3", std_headers(3))
body(conn, "MT3", {""})
end_of_message(conn, "MT3")

-- 4: aborted in the middle of the body; SMFIC_ABORT has no reply.
envelope(conn, "MT4", "sender4@example.org", "rcpt@example.net")
headers(conn, "MT4", std_headers(4))
body(conn, "MT4", {"This message will be aborted\r\n"})
must(mt.abort(conn), "mt.abort(MT4)")
mt.echo("ok MT4: aborted mid-body")

-- 5: a good message after the abort.
full_message(conn, 5, {"After the abort.\r\n"})

-- 6: aborted right after RCPT, 7: a good message after it.
envelope(conn, "MT6", "sender6@example.org", "rcpt@example.net")
must(mt.abort(conn), "mt.abort(MT6)")
mt.echo("ok MT6: aborted after RCPT")
full_message(conn, 7, {"After the second abort.\r\n"})

must(mt.disconnect(conn), "mt.disconnect")

-- A fresh connection still works after the first one quit.
local conn2 = open_connection()
full_message(conn2, 8, {"Second connection.\r\n"})
must(mt.disconnect(conn2), "mt.disconnect(conn2)")

mt.echo("PASS: miltertest roundtrip against " .. MILTER)
