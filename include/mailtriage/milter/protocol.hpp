#pragma once
// Milter protocol constants. Command, reply and SMFIP_* values come from libmilter's
// own mfdef.h so they cannot drift; the SMFIF_* action bits and SMFIM_* macro stages
// live in mfapi.h, which also declares libmilter's C API we do not link, so they are
// restated here (tests/milter/protocol_test.cpp checks them against mfapi.h).
#include <libmilter/mfdef.h>

#include <cstddef>
#include <cstdint>

namespace mailtriage::milter {

// Highest protocol version we speak; MTAs offering 2..6 are accepted.
inline constexpr std::uint32_t kProtocolVersion = SMFI_PROT_VERSION;
inline constexpr std::uint32_t kMinProtocolVersion = 2;

// Default largest payload of one frame (the command byte not included).
inline constexpr std::size_t kDefaultMaxData = MILTER_MAX_DATA_SIZE;
inline constexpr std::size_t kMaxData256K = 256 * 1024 - 1;
inline constexpr std::size_t kMaxData1M = 1024 * 1024 - 1;
// Body chunk size an MTA uses (Postfix and Sendmail: 65535).
inline constexpr std::size_t kChunkSize = MILTER_CHUNK_SIZE;

namespace action {  // SMFIF_*: what the filter may do at end of message
inline constexpr std::uint32_t add_headers = 0x001;
inline constexpr std::uint32_t change_body = 0x002;
inline constexpr std::uint32_t add_recipient = 0x004;
inline constexpr std::uint32_t delete_recipient = 0x008;
inline constexpr std::uint32_t change_headers = 0x010;
inline constexpr std::uint32_t quarantine = 0x020;
inline constexpr std::uint32_t change_from = 0x040;
inline constexpr std::uint32_t add_recipient_par = 0x080;
inline constexpr std::uint32_t set_symbol_list = 0x100;
inline constexpr std::uint32_t all = 0x1FF;
}  // namespace action

namespace stage {  // SMFIM_*: the protocol stages a macro list can be requested for
inline constexpr std::uint32_t connect = 0;
inline constexpr std::uint32_t helo = 1;
inline constexpr std::uint32_t envfrom = 2;
inline constexpr std::uint32_t envrcpt = 3;
inline constexpr std::uint32_t data = 4;
inline constexpr std::uint32_t eom = 5;
inline constexpr std::uint32_t eoh = 6;
}  // namespace stage

}  // namespace mailtriage::milter
