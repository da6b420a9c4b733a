// SPDX-License-Identifier: Apache-2.0
// The USB HID wire contract between the token and every host (spec/token-hid.md). Shared, headers only, by the
// firmware packet layer and device/ on the host: one definition of every byte on the wire.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skey::wire {

// Device identity (token-hid.md "Device identity"). Overridable at build time.
#ifndef SKEY_USB_VID
#define SKEY_USB_VID 0x1209
#endif
#ifndef SKEY_USB_PID
#define SKEY_USB_PID 0x0001
#endif
inline constexpr std::uint16_t kUsbVendorId = SKEY_USB_VID;
inline constexpr std::uint16_t kUsbProductId = SKEY_USB_PID;
inline constexpr std::uint16_t kUsagePage = 0xFF00; ///< vendor-defined: no admin rights needed on Windows
inline constexpr std::uint16_t kUsage = 0x01;

// Packets ("Packets (64 bytes)").
inline constexpr std::size_t kReportSize = 64; ///< no report ID on the wire; hidapi writes 65 bytes (00 + report)
inline constexpr std::size_t kCidSize = 4;
inline constexpr std::size_t kInitHeaderSize = 7; ///< CID 4 | CMD 1 | BCNT 2
inline constexpr std::size_t kContHeaderSize = 5; ///< CID 4 | SEQ 1
inline constexpr std::size_t kInitDataSize = kReportSize - kInitHeaderSize; ///< 57
inline constexpr std::size_t kContDataSize = kReportSize - kContHeaderSize; ///< 59
inline constexpr std::uint8_t kMaxSeq = 0x7F;
inline constexpr std::size_t kMaxMessageSize = kInitDataSize + (kMaxSeq + 1) * kContDataSize; ///< 7609
static_assert(kMaxMessageSize == 7609);

inline constexpr std::uint32_t kBroadcastCid = 0xFFFFFFFFu;
inline constexpr std::uint8_t kInitBit = 0x80; ///< bit 7 of byte 4 set: initialization packet

/// Commands, without bit 7 (the wire value is `cmd | kInitBit`).
enum class Cmd : std::uint8_t {
    Ping = 0x01,
    Lock = 0x04,
    Init = 0x06,
    Wink = 0x08,
    Cancel = 0x11,
    KeepAlive = 0x3B,
    Error = 0x3F,
    Apdu = 0x40,
};

/// ERROR payload codes.
enum class ErrorCode : std::uint8_t {
    InvalidCommand = 0x01,
    InvalidParameter = 0x02,
    InvalidLength = 0x03,
    InvalidSequence = 0x04,
    MessageTimeout = 0x05,
    ChannelBusy = 0x06,
    LockRequired = 0x0A,
    InvalidChannel = 0x0B,
    Other = 0x7F,
};

/// KEEPALIVE status byte.
enum class KeepAliveStatus : std::uint8_t {
    Processing = 0x01,
    UserPresenceNeeded = 0x02,
};

// INIT ("Commands" table).
inline constexpr std::size_t kInitNonceSize = 8;
inline constexpr std::size_t kInitResponseSize = 17; ///< nonce 8 | CID 4 | proto 1 | fw 3 | caps 1
inline constexpr std::uint8_t kProtocolVersion = 2;
inline constexpr std::uint8_t kCapWink = 0x01;
inline constexpr std::uint8_t kCapLock = 0x02;
/// Bounded APDUs (docs/transport.md "Bounded APDUs"): the INIT answer carries 2 more bytes, the largest command APDU
/// and the largest response APDU (data + SW) the token takes or sends in one message, big-endian (the same bound for
/// both). Longer command data travels by ISO 7816-4 command chaining (CLA bit 0x10), longer response data by 61xx and
/// GET RESPONSE. A key without this flag takes any APDU up to kMaxMessageSize.
inline constexpr std::uint8_t kCapBoundedApdu = 0x04;
inline constexpr std::size_t kInitResponseSizeBounded = kInitResponseSize + 2;
/// This token's bound: a short APDU case 4 with 255 data bytes (4 + 1 + 255 + 1); a response of 256 data bytes + SW
/// (258) fits as well.
inline constexpr std::size_t kMaxApduSize = 261;
inline constexpr std::uint8_t kMaxLockSeconds = 10;

// Timing rules.
inline constexpr std::uint32_t kMessageTimeoutMs = 500; ///< a message not completed within this gives MessageTimeout
inline constexpr std::uint32_t kKeepAliveIntervalMs = 100; ///< long operations send KEEPALIVE at least this often

/// SW sent when a pending APDU waiting for the user is cancelled.
inline constexpr std::uint16_t kSwCancelled = 0x6F00;

// Simulator transports (token-hid.md "The simulator's transports"): loopback only.
inline constexpr std::uint16_t kSimDefaultHidPort = 21700; ///< UDP, one 64-byte report per datagram
inline constexpr std::uint16_t kSimDefaultControlPort = 21701; ///< TCP, line-based control protocol
inline constexpr std::uint16_t kVpcdDefaultPort = 35963; ///< vsmartcard vpcd, loopback TCP

} // namespace skey::wire
