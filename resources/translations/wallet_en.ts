<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>AboutPage</name>
    <message>
        <source>About and diagnostics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What support needs to know when something does not work.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Versions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wallet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key firmware</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Qt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>simulated, insecure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The log helps support find a problem. Serial numbers are shortened to their last four digits; PINs and keys are never written to it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File to save the log to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export log</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n line(s) collected</source>
        <translation>
            <numerusform>%n line collected</numerusform>
            <numerusform>%n lines collected</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AmountField</name>
    <message>
        <source>Amount (CNY)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BalanceRow</name>
    <message>
        <source>Balance on the key</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CertificatesPage</name>
    <message>
        <source>Certificates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your key also keeps key pairs and certificates that identify you online. Private keys are made on the key and never leave it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Generate a key pair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply for a certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the PIN of your key&apos;s certificates (PIV PIN, 6 to 8 digits) to sign the request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Slot %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key pair: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No key pair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Subject</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Issuer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SHA-256 fingerprint: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificates (*.pem)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 already exists. Replace it?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Slot %1 already holds a key pair. A new one replaces it for good, and its certificate is deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replace the key pair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the certificate in slot %1 from the key? You can apply for a new one later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New key pairs ask for a touch of the key for every signature</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every load and payment of this key, newest first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loads</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search merchant, terminal, amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transactions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No transactions match.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Previous</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From, e.g. %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To, e.g. %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the transactions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 already exists. Replace it?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>KeyPage</name>
    <message>
        <source>My key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SmartKey holds your purse. The wallet reads it when it is plugged in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Command that installs the device rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Continue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Issuing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Issue with the demo profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Serial number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firmware</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keys found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Several keys are plugged in. The wallet uses the one marked in use.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>simulated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN protects payments and loads. Change it here; the key checks the current one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change PIN…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoadPage</name>
    <message>
        <source>Load money</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move money from your bank account onto the key. Your bank authorises every load.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load %1 yuan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Up to %1 per load.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your PIN to load %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New balance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transaction code (TAC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirm the load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank account is charged %1 and the key credited with it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>SmartKey Wallet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SmartKey</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wallet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load money</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>My key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIMULATED KEY: for testing and demonstrations only, no real money.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Money</name>
    <message>
        <source>Enter an amount.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use digits and one decimal point, for example 25.50.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most two digits after the decimal point.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The amount cannot be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The amount must be more than zero.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The amount can be at most %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A comma only separates thousands, as in 1,250.00. For fen use a point, as in 12.50.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MoneyConfirmDialog</name>
    <message>
        <source>Confirm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OverviewPage</name>
    <message>
        <source>Overview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your purse, read from the key just now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refreshing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Balance %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E-purse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIMULATED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Balance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cardholder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Card number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load money</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent transactions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No transactions yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All transactions</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <source>Confirm</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>PIN, %n digit(s) entered</source>
        <translation>
            <numerusform>PIN, %n digit entered</numerusform>
            <numerusform>PIN, %n digits entered</numerusform>
        </translation>
    </message>
    <message>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear the PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the last digit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type your PIN</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinPage</name>
    <message>
        <source>Enter your PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN protects your purse. It is checked by the key itself and never stored.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN is blocked after too many wrong tries. Take the key and your ID to a branch of your bank to unblock it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN is blocked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key refuses every PIN until your bank unblocks it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PurchasePage</name>
    <message>
        <source>Pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pay a merchant from the purse on your key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merchant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirm the payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pay %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your PIN to pay %1 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New balance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transaction code (TAC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment link or code from the shop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>smartkey://pay/… or K7QM-4XPA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pay before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is paid from the purse on your key to %2, as your bank signed the order.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>your key&apos;s certificate (slot 9A)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the PIN of your key&apos;s certificate (PIV PIN) to sign the payment of %1 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign and pay</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes apply at once and are remembered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dark</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TouchPrompt</name>
    <message>
        <source>Touch your key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is waiting for you to confirm the payment: touch its button now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is waiting for you to allow the use of its private key: touch its button now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::CertificatesViewModel</name>
    <message>
        <source>Generating a key pair on the key…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A new key pair was made on the key. Apply for a certificate next.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled. Nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applying to your bank for a certificate…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank issued the certificate. It is stored on the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deleting the certificate…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The certificate was deleted from the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This slot holds no certificate to export.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a file to export to.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 already exists. Nothing was exported.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1. Choose another folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The certificate was exported to %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank has not revoked it (checked against its signed revocation list).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revoked on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank revoked this certificate (reason: %1). Payments that need it are refused. Generate a new key pair and apply again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No bank host is configured, so the wallet cannot ask whether it was revoked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bank&apos;s revocation list could not be fetched. Refresh later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The wallet could not get the certificate of your bank&apos;s CA, so it cannot check the revocation list&apos;s signature. Refresh later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The certificate of the bank&apos;s CA that the wallet has or was given did not issue this certificate, so the revocation list cannot be checked. Apply for a certificate again; if this repeats, contact your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The revocation list failed its signature check against the bank&apos;s CA: it was altered or does not come from your bank, so the wallet does not believe it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bank&apos;s revocation list is not usable (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Touch: always (each signature waits for the key&apos;s button)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Touch: cached, asked every time (the key has no clock)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Touch: never</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::ChangePinViewModel</name>
    <message>
        <source>Enter your current PIN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a new PIN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the new PIN again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changing the PIN on the key. Keep the key inserted…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key accepts %1 to %2 digits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The new PIN is the same as the current one. Choose another.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The two new PINs were not the same. Choose the new PIN again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your PIN was changed. Use the new PIN from now on.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::DiagnosticsViewModel</name>
    <message>
        <source>unknown (no key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no key connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log saved to %1. Serial numbers are shortened to their last four digits; PINs and keys are never logged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The log could not be saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no file chosen</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::ErrorText</name>
    <message numerus="yes">
        <source>%n try(s) left</source>
        <translation>
            <numerusform>%n try left</numerusform>
            <numerusform>%n tries left</numerusform>
        </translation>
    </message>
    <message>
        <source>No key found. Insert your SmartKey and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is present but this computer does not allow the wallet to open it. Install the SmartKey device rule (see the key page) and insert the key again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another program is using the key. Close it and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key did not answer in time. Remove it, insert it again and retry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key was removed during the operation. Insert it again: the wallet will check whether the transaction went through and finish it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key sent an answer the wallet does not understand. Insert it again; if this persists, contact your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled. Nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN is blocked after too many wrong tries. Take the key and your ID to a branch of your bank to unblock it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This operation needs your PIN. Enter it and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key could not verify the bank&apos;s authorisation. No money moved. Try again; if this repeats, contact your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The balance is not enough for this payment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key has reached its maximum number of transactions. Ask your bank for a new key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key does not support this bank&apos;s terminal keys. Contact your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key holds no proof for that transaction.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse application was not found on this key. It may not be issued yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse on this key is temporarily blocked. Contact your bank to unblock it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse on this key is permanently blocked. Ask your bank for a replacement.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key rejected the request. Try again; if this persists, contact your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key reported a memory failure. Stop using it and contact your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please check what you entered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The amount is too large.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A security check failed on this computer. Try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bank declined the request. No money moved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key&apos;s answer could not be verified. Keep the key inserted; the wallet will check the transaction again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The wallet is not ready for this yet. Try again in a moment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong inside the wallet. Export the log from the About page and contact support.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong PIN. The PIN is now blocked. Take the key and your ID to a branch of your bank to unblock it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n try(s) left.</source>
        <translation>
            <numerusform>Wrong PIN. %n try left.</numerusform>
            <numerusform>Wrong PIN. %n tries left.</numerusform>
        </translation>
    </message>
    <message>
        <source>The key refused the operation in its current state. Nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payment was not confirmed on the key: its button was not pressed in time, or the payment was refused there. Nothing was paid. Try again and touch the key when it asks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The wallet could not read or save its records on this computer. Nothing on the key was changed by this; see the details for which file and what to do.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The wallet&apos;s key store does not open with its passphrase, or the file was altered. Nothing was changed; restore the key store from a backup.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It is not known yet whether this went through. Do not repeat it: the wallet checks it with the key as soon as the key is back, and shows the result.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bank could not be reached. Nothing was sent and no money moved. Check the connection and try again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::HistoryViewModel</name>
    <message>
        <source>The start date is after the end date.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Page %1 of %2 · %n transaction(s)</source>
        <extracomment>page X of Y, N transactions</extracomment>
        <translation>
            <numerusform>Page %1 of %2 · %n transaction</numerusform>
            <numerusform>Page %1 of %2 · %n transactions</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose a file to export to.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n transaction(s) exported to %1.</source>
        <translation>
            <numerusform>%n transaction exported to %1.</numerusform>
            <numerusform>%n transactions exported to %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The export failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the start date as the list shows dates, for example %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the end date as the list shows dates, for example %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 already exists. Nothing was exported.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::KeyViewModel</name>
    <message>
        <source>The key reports a state this wallet does not know. Update the wallet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>blank</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>issued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>blocked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>permanently blocked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>terminated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for your key…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No key found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key cannot be opened</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is in use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the key…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulated key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SmartKey</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse is blocked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is no longer usable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse has expired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key could not be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This takes a moment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insert your SmartKey into a USB port. The wallet notices it by itself.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A key is plugged in, but this computer does not allow the wallet to open it. Install the SmartKey device rule with the command below, then unplug the key and insert it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another program is using the key. Close that program; the wallet retries by itself.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Several keys are plugged in. Choose the one you want to use.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your key is ready.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This simulated key has not been issued yet. Issue it with the demo profile to try the wallet (PIN 123456).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key has not been issued yet. Your bank issues it at the branch; until then it holds no purse.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse on this key is blocked. Bring the key and your ID to a branch of your bank to unblock it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key has been permanently blocked by your bank. Ask your bank for a replacement key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse on this key is past its validity date. Ask your bank to renew it; the remaining balance is refunded or moved to the new key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 — serial %2, firmware %3, %4</source>
        <extracomment>%1 = &quot;Simulated key&quot; or &quot;SmartKey&quot;, %2 = serial, %3 = firmware version, %4 = life cycle (&quot;blank&quot;)</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulated key at %1</source>
        <extracomment>the simulated key&apos;s connection, %1 = its loopback address and port</extracomment>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::LoadViewModel</name>
    <message>
        <source>Your bank is authorising the load of %1. Keep the key inserted…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The load did not start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key was removed during the load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The load did not go through</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loaded %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection was interrupted, but the wallet confirmed with the key that the load went through.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The money is on your key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the interrupted load…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is a different key. Insert the key that was removed to finish the check.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the load…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Still checking: the key could not tell yet. Keep it inserted, or insert it again later; do not load it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is back and proved the load went through.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is back and proved the load never reached it; your bank gave the money back to your funding account. You can load again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The load is being checked by your bank</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key can no longer prove whether the load went through. Do not load it again: your bank keeps the record and will settle it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::OverviewViewModel</name>
    <message>
        <source>Cardholder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 to %2</source>
        <extracomment>validity period of the purse: from date to date</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key has not been issued yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse is blocked. Bring the key and your ID to a branch of your bank.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse is permanently blocked. Ask your bank for a replacement key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse is not valid yet. It can be used from %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The purse expired on %1. Ask your bank to renew it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key was issued by a bank this wallet does not accept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This key does not hold an electronic purse.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::PinViewModel</name>
    <message>
        <source>The PIN is blocked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last try: if this PIN is wrong too, the key locks and only a branch of your bank can unblock it (take the key and your ID).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::PurchaseViewModel</name>
    <message>
        <source>Paying %1 to %2. Keep the key inserted…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payment did not start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key was removed during the payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payment did not go through</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the interrupted payment…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is a different key. Insert the key that was removed to finish the check.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the payment…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payment is being checked by the bank</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key can no longer prove whether the payment went through. Do not pay again: the bank keeps the record and will settle it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fetching the order from your bank…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paying a shop needs your bank&apos;s host. Put a bank-client.json file (the bank&apos;s URL, its CA certificate, and this terminal&apos;s certificate and key files, as your bank gives them) into %1, then open the Pay page again. See docs/core.md, &quot;The bank client&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is neither a payment link (smartkey://pay/…) nor a payment code (like K7QM-4XPA).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This order cannot be paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The order is not the one your bank signed: it was altered, or it is another merchant&apos;s. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This order is already paid. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A payment of this order is being checked. Do not pay again: it is settled with the key that paid it. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The merchant cancelled this order. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This order expired at %1. Ask the shop for a new one. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank has no such order. Check the code. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The order shows &quot;checking&quot; at the shop until the key proves whether it was paid. Do not pay again: it is never paid twice. Keep the key inserted, or insert it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid to %1 for order %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Still checking: the key could not tell yet. The order shows &quot;checking&quot; at the shop. Keep the key inserted, or insert it again later; do not pay again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is back and proved the payment of order %1 to %2 went through.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is back and proved the payment never reached it: nothing was charged and the order is open again. You can pay it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is more than the balance on the key (%2). Load money first, then open the order again. Nothing was sent to the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 asks your key to sign this payment with its certificate (slot 9A): %2 to %1 for order %3. Your bank keeps the signature as proof that you paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 asks your key to sign the payment with its certificate, and the key holds none (slot 9A). Open Certificates, generate a key pair in slot 9A and apply for a certificate, then open the order again. Nothing was paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 asks your key to sign the payment with its certificate, but the certificate in slot 9A is not for the key pair there. Open Certificates and apply for a certificate again, then open the order again. Nothing was paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your key did not sign the payment for %1: its button was not touched in time, or the signature was refused on the key. Nothing was paid. Open the order again and touch the key when it asks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key could not sign the payment with its certificate: %1 Nothing was paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank refused the payment: it revoked the certificate on your key (slot 9A). Nothing was debited and the order is still open. Open Certificates to see it, then generate a new key pair and apply again. (Bank code: %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your bank refused the signature your key made with its certificate. Nothing was debited and the order is still open. Open Certificates and apply for a certificate again. (Bank code: %1)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>wallet::app::TransactionListModel</name>
    <message>
        <source>Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Composite payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Terminal %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From your bank</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
