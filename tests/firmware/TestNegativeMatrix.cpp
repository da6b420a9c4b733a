// SPDX-License-Identifier: Apache-2.0
// Negative matrix: every command with a wrong CLA, INS, P1-P2, Lc or Le, missing or surplus data, in a wrong
// life-cycle state, with a bad MAC or without a challenge, with a blocked PIN or application → the status word of
// spec/pboc-epurse.md (§7 and the command sections). After every rejected command the NVM image must be
// byte-identical (except where the spec makes the rejection itself a state change: a wrong PIN or transaction MAC).
#include "TokenDriver.h"

#include <QtTest>

#include <functional>
#include <map>

using namespace skey;
using namespace skey::test;
using host::HostToken;

namespace {

const Bytes kKt = hex("4B544B544B544B544B544B544B544B54");
const Bytes kDamk = hex("505152535455565758595A5B5C5D5E5F");
using Action = std::function<Bytes(HostToken&)>;

struct Row
{
    const char* state; ///< pre-state image
    const char* prep; ///< volatile preparation: v verify, c challenge, s perso session, p/l INIT purchase/load, e PSE
    const char* name;
    std::string apdu; ///< hex, or empty when `action` builds the command
    std::uint16_t sw;
    /// 0: the NVM image stays byte-identical; 1: the spec makes this rejection a state change (a wrong PIN or MAC
    /// spends a try); 2: a good MAC spent and gave back its try (spec §6a) before a later check refused the command,
    /// so the journal has new entries but the logical state (Journal::digest) is unchanged.
    int mutates = 0;
    Action action = nullptr;
};

std::map<std::string, std::vector<std::uint8_t>> g_images;

void buildImages()
{
    if (!g_images.empty()) {
        return;
    }
    HostToken t;
    g_images["blank"] = t.nvm().image();
    Profile noEnd = standardProfile();
    noEnd.end = false;
    noEnd.keys.resize(1); // DLK only: END PERSONALIZATION must refuse
    QCOMPARE(Issuer(t).personalize(noEnd), std::uint16_t(0x9000));
    g_images["partial"] = t.nvm().image();
    auto fresh = [](const Profile& p) {
        HostToken tok;
        if (Issuer(tok).personalize(p) != 0x9000) {
            qFatal("personalisation failed");
        }
        return tok.nvm().image();
    };
    g_images["perso"] = fresh(standardProfile());
    Profile pin16 = standardProfile();
    pin16.policy = 0x07;
    g_images["pin16"] = fresh(pin16);
    auto derive = [](const std::string& from, const std::function<void(HostToken&)>& f) {
        HostToken tok;
        tok.nvm().setImage(g_images[from]);
        tok.powerCycle();
        f(tok);
        return tok.nvm().image();
    };
    g_images["tempBlocked"] = derive("perso", [](HostToken& tok) {
        if (swOf(Issuer(tok).sendSecure(hex("841E0000"), {}, kDamk)) != 0x9000) {
            qFatal("block failed");
        }
    });
    g_images["permBlocked"]
        = derive("perso", [](HostToken& tok) { (void)Issuer(tok).sendSecure(hex("841E0001"), {}, kDamk); });
    g_images["terminated"]
        = derive("perso", [](HostToken& tok) { (void)Issuer(tok).sendSecure(hex("84160000"), {}, kDamk); });
    g_images["loaded"] = derive("perso", [](HostToken& tok) {
        Terminal term(tok);
        if (swOf(term.verify(hex("123456"))) != 0x9000 || swOf(term.load(1000)) != 0x9000) {
            qFatal("load failed");
        }
    });
    g_images["pinBlocked"] = derive("perso", [](HostToken& tok) {
        for (int i = 0; i < 3; ++i) {
            (void)Terminal(tok).verify(hex("999999"));
        }
    });
}

Bytes writeKeyBadPadding(HostToken& t)
{
    // Length byte says 0x20: the padding check must refuse (6A80), after a good MAC.
    return Issuer(t).writeKey(kKt, 0x26, hex("2001010000E2B15307A7A33050BBBCA82E87FF07"));
}

} // namespace

class TestNegativeMatrix : public QObject
{
    Q_OBJECT

private:
    const std::vector<Row>* m_rows = nullptr;

private slots:
    void initTestCase() { buildImages(); }
    void matrix_data();
    void matrix();
};

void TestNegativeMatrix::matrix_data()
{
    QTest::addColumn<int>("index");
    static std::vector<Row> rows = {
        // CLA / INS / framing (§7)
        {"perso", "", "unknown CLA", "10A4040000", 0x6E00},
        {"perso", "", "CLA FF", "FFCA000100", 0x6E00},
        {"perso", "", "SELECT with CLA 80", "80A404000AD15600000145442F4550", 0x6E00},
        {"perso", "", "GET BALANCE with CLA 00", "005C000204", 0x6E00},
        {"perso", "", "GET BALANCE with CLA 84", "845C000204", 0x6E00},
        {"perso", "", "APP BLOCK with CLA 80", "801E00000411223344", 0x6E00},
        {"perso", "", "VERIFY with CLA 80", "8020000003123456", 0x6E00},
        {"perso", "", "unknown INS (CLA 00)", "0000000000", 0x6D00},
        {"perso", "", "unknown INS (CLA 80)", "8042000000", 0x6D00},
        {"perso", "", "unknown INS (CLA 84)", "84C0000000", 0x6D00},
        {"perso", "", "GET RESPONSE unsupported", "00C0000000", 0x6D00},
        {"perso", "", "3 bytes", "00A404", 0x6700},
        {"perso", "", "Lc longer than data", "00A404000AD156", 0x6700},
        {"perso", "", "extended Lc mismatch", "00A4040000000AD156", 0x6700},
        {"perso", "", "extended Lc 0 with data", "00A404000000D1", 0x6700},
        // SELECT
        {"perso", "", "SELECT P1 00", "00A400000AD15600000145442F4550", 0x6A86},
        {"perso", "", "SELECT P2 02", "00A404020AD15600000145442F4550", 0x6A86},
        {"perso", "", "SELECT no data", "00A4040000", 0x6700},
        {"perso", "", "SELECT unknown AID", "00A4040005A000000003", 0x6A82},
        {"perso", "", "SELECT 17-byte name", "00A4040011D15600000145442F4550AABBCCDDEEFF0011", 0x6700},
        {"permBlocked", "", "SELECT permanently blocked", "00A404000AD15600000145442F4550", 0x9303},
        {"terminated", "", "SELECT terminated", "00A404000AD15600000145442F4550", 0x6A81},
        // READ BINARY
        {"perso", "", "READ BINARY P1 without SFI bit", "00B0150000", 0x6A86},
        {"perso", "", "READ BINARY unknown SFI", "00B0970000", 0x6A82},
        {"perso", "", "READ BINARY record file", "00B0980000", 0x6981},
        {"perso", "", "READ BINARY offset past end", "00B0951E00", 0x6B00},
        {"perso", "", "READ BINARY Le past end", "00B095001F", 0x6700},
        {"perso", "", "READ BINARY no Le", "00B09500", 0x6700},
        {"perso", "", "READ BINARY with data", "00B0950001AA", 0x6700},
        {"pin16", "", "READ BINARY 0x16 needs PIN", "00B0960000", 0x6982},
        {"tempBlocked", "", "READ BINARY blocked", "00B0950000", 0x6A81},
        // READ RECORD
        {"perso", "", "READ RECORD P2 not SFI mode", "00B201C017", 0x6A86},
        {"perso", "", "READ RECORD record 0", "00B200C417", 0x6A86},
        {"perso", "", "READ RECORD empty log", "00B201C417", 0x6A83},
        {"perso", "", "READ RECORD binary file", "00B201AC00", 0x6981},
        {"perso", "", "READ RECORD unknown SFI", "00B201CC00", 0x6A82},
        {"perso", "", "READ RECORD Le 10", "00B201C410", 0x6700},
        {"perso", "", "READ RECORD no Le", "00B201C4", 0x6700},
        {"perso", "e", "READ RECORD PSE record 2", "00B2020C00", 0x6A83},
        // VERIFY
        {"perso", "", "VERIFY P1 01", "0020010003123456", 0x6A86},
        {"perso", "", "VERIFY P2 80", "0020008003123456", 0x6A86},
        {"perso", "", "VERIFY Lc 1", "002000000112", 0x6700},
        {"perso", "", "VERIFY Lc 7", "002000000712345612345612", 0x6700},
        {"perso", "", "VERIFY not BCD", "002000000312345A", 0x6A80},
        {"perso", "", "VERIFY 3 digits", "0020000002123F", 0x6A80},
        {"perso", "", "VERIFY surplus Le", "002000000312345600", 0x6700},
        {"perso", "", "VERIFY wrong PIN", "0020000003999999", 0x63C2, true},
        {"pinBlocked", "", "VERIFY blocked PIN", "0020000003123456", 0x6983},
        {"pinBlocked", "", "VERIFY status blocked", "00200000", 0x6983},
        {"blank", "", "VERIFY blank", "0020000003123456", 0x6985},
        {"tempBlocked", "", "VERIFY app blocked", "0020000003123456", 0x6A81},
        {"permBlocked", "", "VERIFY app permanently blocked", "0020000003123456", 0x9303},
        {"perso", "e", "VERIFY with PSE selected", "0020000003123456", 0x6985},
        // GET CHALLENGE
        {"perso", "", "GET CHALLENGE P1 01", "0084010004", 0x6A86},
        {"perso", "", "GET CHALLENGE Le 5", "0084000005", 0x6700},
        {"perso", "", "GET CHALLENGE Le 00", "0084000000", 0x6700},
        {"perso", "", "GET CHALLENGE no Le", "00840000", 0x6700},
        // EXTERNAL / INTERNAL AUTHENTICATE
        {"perso", "c", "EXTERNAL AUTH P1 01", "00820100080000000000000000", 0x6A86},
        {"perso", "c", "EXTERNAL AUTH Lc 7", "008200000700000000000000", 0x6700},
        {"perso", "", "EXTERNAL AUTH no challenge", "00820000080000000000000000", 0x6984},
        {"perso", "c", "EXTERNAL AUTH 4-byte challenge", "00820000080000000000000000", 0x6984},
        {"perso", "8", "EXTERNAL AUTH wrong cryptogram", "00820000080000000000000000", 0x6300, 1},
        {"perso", "c", "EXTERNAL AUTH unknown key", "00820005080000000000000000", 0x9403},
        {"blank", "8", "EXTERNAL AUTH wrong KT cryptogram", "00820000080000000000000000", 0x6300, 1},
        {"perso", "", "INTERNAL AUTH unknown key", "0088000508000000000000000008", 0x9403},
        {"perso", "", "INTERNAL AUTH Lc 7", "00880000070000000000000007", 0x6700},
        {"perso", "", "INTERNAL AUTH no Le", "00880000080000000000000000", 0x6700},
        {"blank", "", "INTERNAL AUTH blank", "0088000008000000000000000008", 0x6985},
        // GET DATA (works in every state)
        {"perso", "", "GET DATA P2 02", "80CA000200", 0x6A86},
        {"perso", "", "GET DATA no Le", "80CA0001", 0x6700},
        {"blank", "", "GET DATA blank", "80CA000100", 0x9000},
        {"tempBlocked", "", "GET DATA blocked", "80CA000100", 0x9000},
        {"permBlocked", "", "GET DATA permanently blocked", "80CA000100", 0x9000},
        {"terminated", "", "GET DATA terminated", "80CA000100", 0x9000},
        // GET BALANCE
        {"perso", "", "GET BALANCE ED (P2 01)", "805C000104", 0x6A86},
        {"perso", "", "GET BALANCE P1 01", "805C010204", 0x6A86},
        {"perso", "", "GET BALANCE no Le", "805C0002", 0x6700},
        {"perso", "", "GET BALANCE Le 2", "805C000202", 0x6700},
        {"perso", "", "GET BALANCE with data", "805C00020100", 0x6700},
        {"blank", "", "GET BALANCE blank", "805C000204", 0x6985},
        {"tempBlocked", "", "GET BALANCE blocked", "805C000204", 0x6A81},
        {"permBlocked", "", "GET BALANCE permanently blocked", "805C000204", 0x9303},
        {"terminated", "", "GET BALANCE terminated", "805C000204", 0x6A81},
        {"perso", "e", "GET BALANCE with PSE selected", "805C000204", 0x6985},
        // INITIALIZE
        {"perso", "v", "INITIALIZE P1 02", "805002020B0100000001112233445566 0F", 0x6A86},
        {"perso", "v", "INITIALIZE ED (P2 01)", "805000010B0100000001112233445566 10", 0x6A86},
        {"perso", "v", "INITIALIZE Lc 0A", "805000020A01000000011122334455 10", 0x6700},
        {"perso", "v", "INITIALIZE no Le", "805000020B0100000001112233445566", 0x6700},
        {"perso", "v", "INITIALIZE LOAD Le 0E", "805000020B0100000001112233445566 0E", 0x6700},
        {"perso", "", "INITIALIZE LOAD without PIN", "805000020B0100000001112233445566 10", 0x6982},
        {"perso", "", "INITIALIZE PURCHASE without PIN", "805001020B0100000001112233445566 0F", 0x6982},
        {"perso", "v", "INITIALIZE unknown key index", "805000020B0200000001112233445566 10", 0x9403},
        {"perso", "v", "INITIALIZE key index 0", "805001020B0000000001112233445566 0F", 0x9403},
        {"perso", "v", "INITIALIZE LOAD above max", "805000020B01000F4241112233445566 10", 0x6985},
        {"perso", "v", "INITIALIZE PURCHASE insufficient", "805001020B0100000001112233445566 0F", 0x9401},
        {"tempBlocked", "", "INITIALIZE blocked", "805001020B0100000000112233445566 0F", 0x6A81},
        // CREDIT / DEBIT
        {"perso", "v", "CREDIT without INITIALIZE", "805200000B2025010112000000000000 04", 0x6901},
        {"perso", "vp", "CREDIT after INIT PURCHASE", "805200000B2025010112000000000000 04", 0x6901},
        {"perso", "vl", "CREDIT P1 01", "805201000B2025010112000000000000 04", 0x6A86},
        {"perso", "vl", "CREDIT Lc 0A", "805200000A20250101120000000000 04", 0x6700},
        {"perso", "vl", "CREDIT no Le", "805200000B2025010112000000000000", 0x6700},
        {"perso", "vl", "CREDIT bad MAC2", "805200000B2025010112000000000000 04", 0x9302, true},
        {"perso", "v", "DEBIT without INITIALIZE", "805401000F000000012025010112000000000000 08", 0x6901},
        {"perso", "vl", "DEBIT after INIT LOAD", "805401000F000000012025010112000000000000 08", 0x6901},
        {"perso", "vp", "DEBIT P1 00", "805400000F000000012025010112000000000000 08", 0x6A86},
        {"perso", "vp", "DEBIT Lc 0E", "805401000E0000000120250101120000000000 08", 0x6700},
        {"perso", "vp", "DEBIT bad MAC1", "805401000F000000012025010112000000000000 08", 0x9302, true},
        // GET TRANSACTION PROVE
        {"perso", "", "PROVE type 01", "805A0001020000 08", 0x6A86},
        {"perso", "", "PROVE type 09", "805A0009020000 08", 0x6A86},
        {"perso", "", "PROVE P1 01", "805A0106020000 08", 0x6A86},
        {"perso", "", "PROVE Lc 1", "805A00060100 08", 0x6700},
        {"perso", "", "PROVE no Le", "805A0006020000", 0x6700},
        {"perso", "", "PROVE nothing yet", "805A0006020001 08", 0x9406},
        // CHANGE / RELOAD PIN
        {"perso", "", "CHANGE PIN P1 02", "805E020007123456FF654321", 0x6A86},
        {"perso", "", "CHANGE PIN no separator", "805E010003123456", 0x6700},
        {"perso", "", "CHANGE PIN bad new PIN", "805E010007123456FF65432A", 0x6A80},
        {"perso", "", "CHANGE PIN surplus Le", "805E010007123456FF65432100", 0x6700},
        {"perso", "", "CHANGE PIN wrong old PIN", "805E010007999999FF654321", 0x63C2, true},
        {"pinBlocked", "", "CHANGE PIN blocked", "805E010007123456FF654321", 0x6983},
        {"perso", "", "RELOAD PIN plain form (replayable)", "805E000007123456E609A089", 0x6982},
        {"perso", "", "RELOAD PIN plain form short", "805E0000051234E609A0", 0x6982},
        {"perso", "", "RELOAD PIN plain form no data", "805E0000", 0x6700},
        {"perso", "c", "RELOAD PIN P2 01", "845E00010CF8CE5EA0A66F97486981FAC5", 0x6A86},
        {"perso", "c", "RELOAD PIN Lc 0B", "845E00000BF8CE5EA0A66F97486981FA", 0x6700},
        {"perso", "c", "RELOAD PIN surplus Le", "845E00000CF8CE5EA0A66F97486981FAC500", 0x6700},
        {"perso", "", "RELOAD PIN no challenge", "845E00000CF8CE5EA0A66F97486981FAC5", 0x6984},
        {"perso", "c", "RELOAD PIN bad MAC (replayed)", "845E00000CF8CE5EA0A66F97486981FAC5", 0x6988, 1},
        {"blank", "sc", "RELOAD PIN blank", "845E00000CF8CE5EA0A66F97486981FAC5", 0x6985},
        {"perso", "v", "INIT LOAD amount 0", "805000020B0100000000112233445566 10", 0x6A80},
        {"perso", "v", "INIT PURCHASE amount 0", "805001020B0100000000112233445566 0F", 0x6A80},
        // PIN UNBLOCK
        {"perso", "c", "PIN UNBLOCK not blocked", "842400000C2479F0AEF9A30BFF70135FFA", 0x6985},
        {"pinBlocked", "c", "PIN UNBLOCK P2 01", "842400010C2479F0AEF9A30BFF70135FFA", 0x6A86},
        {"pinBlocked", "c", "PIN UNBLOCK Lc 0B", "842400000B2479F0AEF9A30BFF70135F", 0x6700},
        {"pinBlocked", "", "PIN UNBLOCK no challenge", "842400000C2479F0AEF9A30BFF70135FFA", 0x6984},
        {"pinBlocked", "c", "PIN UNBLOCK bad MAC", "842400000C2479F0AEF9A30BFF70135FFA", 0x6988, 1},
        // APPLICATION BLOCK / UNBLOCK, CARD BLOCK
        {"perso", "c", "APP BLOCK P2 02", "841E00020411223344", 0x6A86},
        {"perso", "c", "APP BLOCK Lc 3", "841E000003112233", 0x6700},
        {"perso", "c", "APP BLOCK surplus Le", "841E0000041122334400", 0x6700},
        {"perso", "", "APP BLOCK no challenge", "841E00000411223344", 0x6984},
        {"perso", "c", "APP BLOCK bad MAC", "841E00000411223344", 0x6988, 1},
        {"blank", "c", "APP BLOCK blank", "841E00000411223344", 0x6985},
        {"permBlocked", "c", "APP BLOCK permanently blocked", "841E00000411223344", 0x9303},
        {"terminated", "c", "APP BLOCK terminated", "841E00000411223344", 0x6A81},
        {"perso", "c", "APP UNBLOCK not blocked", "841800000411223344", 0x6985},
        {"tempBlocked", "c", "APP UNBLOCK P1 01", "841801000411223344", 0x6A86},
        {"tempBlocked", "", "APP UNBLOCK no challenge", "841800000411223344", 0x6984},
        {"tempBlocked", "c", "APP UNBLOCK bad MAC", "841800000411223344", 0x6988, 1},
        {"permBlocked", "c", "APP UNBLOCK permanent", "841800000411223344", 0x9303},
        {"blank", "c", "CARD BLOCK blank", "841600000411223344", 0x6985},
        {"terminated", "c", "CARD BLOCK terminated", "841600000411223344", 0x6A81},
        {"perso", "c", "CARD BLOCK P1 01", "841601000411223344", 0x6A86},
        {"perso", "c", "CARD BLOCK bad MAC", "841600000411223344", 0x6988, 1},
        // UPDATE BINARY
        {"perso", "c", "UPDATE BINARY P1 without SFI bit", "04D615000900112233441122334455", 0x6A86},
        {"perso", "c", "UPDATE BINARY record file", "04D6980009001122334411223344", 0x6981},
        {"perso", "c", "UPDATE BINARY unknown SFI", "04D6970009001122334411223344", 0x6A82},
        {"perso", "c", "UPDATE BINARY offset past end", "04D6951E09001122334411223344", 0x6B00},
        {"perso", "c", "UPDATE BINARY past end", "04D6951C09001122334411223344", 0x6700},
        {"perso", "c", "UPDATE BINARY MAC only", "04D695000411223344", 0x6700},
        {"perso", "", "UPDATE BINARY no challenge", "04D6950009001122334411223344", 0x6984},
        {"perso", "c", "UPDATE BINARY bad MAC", "04D6950009001122334411223344", 0x6988, 1},
        {"blank", "c", "UPDATE BINARY no session", "04D6950009001122334411223344", 0x6982},
        {"tempBlocked", "c", "UPDATE BINARY blocked", "04D6950009001122334411223344", 0x6A81},
        // Personalisation commands
        {"perso",
            "c",
            "WRITE KEY after END",
            "84D400261C52B5F27E8ED6AAA4699627B5257E562BAF8FE13F102297AA352AF85E",
            0x6985},
        {"blank",
            "c",
            "WRITE KEY no session",
            "84D400261C52B5F27E8ED6AAA4699627B5257E562BAF8FE13F102297AA352AF85E",
            0x6982},
        {"blank",
            "sc",
            "WRITE KEY unknown type",
            "84D400401C52B5F27E8ED6AAA4699627B5257E562BAF8FE13F102297AA352AF85E",
            0x6A86},
        {"blank",
            "sc",
            "WRITE KEY P1 01",
            "84D401261C52B5F27E8ED6AAA4699627B5257E562BAF8FE13F102297AA352AF85E",
            0x6A86},
        {"blank", "sc", "WRITE KEY Lc 1B", "84D400261B52B5F27E8ED6AAA4699627B5257E562BAF8FE13F102297AA352AF8", 0x6700},
        {"blank",
            "sc",
            "WRITE KEY bad MAC",
            "84D400261C52B5F27E8ED6AAA4699627B5257E562BAF8FE13F102297AA352AF85F",
            0x6988,
            1},
        {"blank", "s", "WRITE KEY bad padding", "", 0x6A80, 2, writeKeyBadPadding},
        {"perso", "c", "PUT DATA after END", "84DA000208000F42407896E576", 0x6985},
        {"blank", "sc", "PUT DATA tag 07", "84DA000708000F42407896E576", 0x6A86},
        {"blank", "sc", "PUT DATA max balance 3 bytes", "84DA0002070F42407896E576", 0x6700},
        {"blank",
            "s",
            "PUT DATA capacity 9",
            "",
            0x6A80,
            2,
            [](HostToken& t) { return Issuer(t).sendSecure(hex("84DA0005"), hex("09"), kKt); }},
        {"blank",
            "s",
            "PUT DATA capacity 101",
            "",
            0x6A80,
            2,
            [](HostToken& t) { return Issuer(t).sendSecure(hex("84DA0005"), hex("65"), kKt); }},
        {"blank",
            "s",
            "PUT DATA policy bit 4",
            "",
            0x6A80,
            2,
            [](HostToken& t) { return Issuer(t).sendSecure(hex("84DA0004"), hex("10"), kKt); }},
        {"blank",
            "s",
            "PUT DATA label not ASCII",
            "",
            0x6A80,
            2,
            [](HostToken& t) { return Issuer(t).sendSecure(hex("84DA0006"), hex("41014243"), kKt); }},
        {"blank",
            "s",
            "PUT DATA AID 4 bytes",
            "",
            0x6700,
            false,
            [](HostToken& t) { return Issuer(t).sendSecure(hex("84DA0001"), hex("A0000000"), kKt); }},
        {"perso", "c", "END PERSONALIZATION after END", "84EA00000433FBB4D9", 0x6985},
        {"blank", "sc", "END PERSONALIZATION Lc 5", "84EA0000050033FBB4D9", 0x6700},
        {"partial",
            "s",
            "END PERSONALIZATION keys missing",
            "",
            0x6985,
            2,
            [](HostToken& t) { return Issuer(t).sendSecure(hex("84EA0000"), {}, kKt); }},
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        // INITIALIZE FOR PURCHASE needs a balance: rows that prepare one run on the loaded image.
        if (std::string(rows[i].prep).find('p') != std::string::npos && std::string(rows[i].state) == "perso") {
            rows[i].state = "loaded";
        }
        QTest::newRow(rows[i].name) << static_cast<int>(i);
    }
    m_rows = &rows;
}

void TestNegativeMatrix::matrix()
{
    QFETCH(int, index);
    const Row& row = (*m_rows)[static_cast<std::size_t>(index)];
    HostToken t;
    QVERIFY(g_images.count(row.state));
    t.nvm().setImage(g_images[row.state]);
    t.powerCycle();
    t.rng().seed(7);
    for (const char* p = row.prep; *p != 0; ++p) {
        Terminal term(t);
        Bytes r;
        switch (*p) {
        case 'v':
            r = term.verify(hex("123456"));
            break;
        case 'c':
            r = t.process(hex("0084000004"));
            break;
        case '8':
            r = t.process(hex("0084000008"));
            break;
        case 's':
            r = Issuer(t).openPersonalization(kKt);
            break;
        case 'p':
            r = term.initPurchase(1); // amount 0 is refused (spec §4 Decision 2026-12): runs on the loaded image
            break;
        case 'l':
            r = term.initLoad(1);
            break;
        case 'e':
            r = t.process(hex("00A404000E315041592E5359532E4444463031"));
            break;
        default:
            QFAIL("unknown prep");
        }
        QVERIFY2(swOf(r) == 0x9000, qPrintable(QString("prep %1 failed: %2").arg(*p).arg(toHex(r).c_str())));
    }
    const std::vector<std::uint8_t> before = t.nvm().image();
    std::uint32_t digestBefore = 0;
    QVERIFY(t.os().journal().digest(digestBefore) == StoreStatus::Ok);
    const Bytes r = row.action ? row.action(t) : t.process(hex(row.apdu));
    QCOMPARE(QString::fromStdString(toHex(Bytes(r.end() - 2, r.end()))),
        QString::fromStdString(
            toHex(Bytes{static_cast<std::uint8_t>(row.sw >> 8), static_cast<std::uint8_t>(row.sw)})));
    if (row.sw != 0x9000) {
        QCOMPARE(r.size(), std::size_t(2)); // an error carries no data
    }
    std::uint32_t digestAfter = 0;
    QVERIFY(t.os().journal().digest(digestAfter) == StoreStatus::Ok);
    if (row.mutates == 0) {
        QVERIFY2(t.nvm().image() == before, "a rejected command changed the NVM");
    } else if (row.mutates == 1) {
        QVERIFY(digestAfter != digestBefore);
    } else {
        QVERIFY2(t.nvm().image() != before, "expected the spent and restored MAC try in the journal");
        QVERIFY2(digestAfter == digestBefore, "a rejected command changed the token's state");
    }
}

QTEST_GUILESS_MAIN(TestNegativeMatrix)
#include "TestNegativeMatrix.moc"
