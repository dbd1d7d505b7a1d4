-- One message through an installed mailtriaged on its shipped configuration, driven by
-- Debian's miltertest: the daemon negotiates, accepts the message and adds its verdict
-- headers (X-Triage-Category and X-Triage-Verdict, from the built-in model).
--
--   miltertest -D MILTER=inet:PORT@127.0.0.1 -s answers.lua
--
-- miltertest prints nothing on error(), so failures are echoed first.

local function fail(msg)
    mt.echo("FAIL: " .. msg)
    error(msg, 2)
end

if MILTER == nil then fail("MILTER not set: run with -D MILTER=inet:PORT@127.0.0.1") end

local function must(rc, what)
    if rc ~= nil then fail(what .. ": " .. tostring(rc)) end
end

-- A step the daemon may skip (SMFIP_NO*); otherwise it must continue (no-reply steps
-- come back as SMFIR_CONTINUE from miltertest).
local function step(conn, noflag, what, fn, ...)
    if noflag ~= nil and mt.test_option(conn, noflag) then return end
    must(fn(conn, ...), what)
    if mt.getreply(conn) ~= SMFIR_CONTINUE then fail(what .. ": did not continue") end
end

mt.set_timeout(10)
local conn = mt.connect(MILTER, 40, 0.25)
if conn == nil then fail("mt.connect(" .. MILTER .. ") failed") end
must(mt.negotiate(conn, nil, nil, nil), "mt.negotiate")
mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.net", "{daemon_name}", "smtpd")
step(conn, SMFIP_NOCONNECT, "mt.conninfo", mt.conninfo, "client.example.org", "192.0.2.10")
step(conn, SMFIP_NOHELO, "mt.helo", mt.helo, "client.example.org")
mt.macro(conn, SMFIC_MAIL, "i", "PKG1", "{mail_addr}", "sender@example.org")
step(conn, SMFIP_NOMAIL, "mt.mailfrom", mt.mailfrom, "<sender@example.org>")
mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "rcpt@example.net")
step(conn, SMFIP_NORCPT, "mt.rcptto", mt.rcptto, "<rcpt@example.net>")
step(conn, SMFIP_NODATA, "mt.data", mt.data)
for _, h in ipairs({{"From", "<sender@example.org>"}, {"To", "<rcpt@example.net>"},
                    {"Subject", "package check"}, {"Message-ID", "<pkg-1@example.org>"},
                    {"Date", "Tue, 01 Apr 2025 10:00:00 +0000"}}) do
    step(conn, SMFIP_NOHDRS, "mt.header(" .. h[1] .. ")", mt.header, h[1], h[2])
end
step(conn, SMFIP_NOEOH, "mt.eoh", mt.eoh)
if not mt.test_option(conn, SMFIP_NOBODY) then
    must(mt.bodystring(conn, "Hello from the package test.\r\n"), "mt.bodystring")
    local r = mt.getreply(conn)
    if r ~= SMFIR_CONTINUE and r ~= SMFIR_SKIP then fail("mt.bodystring: unexpected reply") end
end
must(mt.eom(conn), "mt.eom")
local r = mt.getreply(conn)
if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then fail("mt.eom: message not accepted") end
for _, name in ipairs({"X-Triage-Category", "X-Triage-Verdict"}) do
    if not (mt.eom_check(conn, MT_HDRADD, name) or mt.eom_check(conn, MT_HDRINSERT, name)) then
        fail("no " .. name .. " header added")
    end
end
mt.echo("ok: accepted, X-Triage-Category: " .. tostring(mt.getheader(conn, "X-Triage-Category", 0)))
must(mt.disconnect(conn), "mt.disconnect")
mt.echo("PASS: installed mailtriaged answers on " .. MILTER)
