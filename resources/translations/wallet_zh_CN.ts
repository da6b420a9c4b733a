<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutPage</name>
    <message>
        <source>About and diagnostics</source>
        <translation>关于与诊断</translation>
    </message>
    <message>
        <source>What support needs to know when something does not work.</source>
        <translation>出现问题时，客服需要了解的信息。</translation>
    </message>
    <message>
        <source>Versions</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Wallet</source>
        <translation>钱包</translation>
    </message>
    <message>
        <source>Key firmware</source>
        <translation>密钥固件</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>simulated, insecure</source>
        <translation>模拟，不安全</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>The log helps support find a problem. Serial numbers are shortened to their last four digits; PINs and keys are never written to it.</source>
        <translation>日志可帮助客服定位问题。序列号只保留最后四位；PIN 码和密钥从不写入日志。</translation>
    </message>
    <message>
        <source>File to save the log to</source>
        <translation>日志保存位置</translation>
    </message>
    <message>
        <source>Export log</source>
        <translation>导出日志</translation>
    </message>
    <message numerus="yes">
        <source>%n line(s) collected</source>
        <translation>
            <numerusform>已收集 %n 行</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AmountField</name>
    <message>
        <source>Amount (CNY)</source>
        <translation>金额（人民币）</translation>
    </message>
</context>
<context>
    <name>BalanceRow</name>
    <message>
        <source>Balance on the key</source>
        <translation>密钥余额</translation>
    </message>
</context>
<context>
    <name>CertificatesPage</name>
    <message>
        <source>Certificates</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Your key also keeps key pairs and certificates that identify you online. Private keys are made on the key and never leave it.</source>
        <translation>您的密钥还保存用于在网上证明您身份的密钥对和证书。私钥在密钥内生成，永不离开密钥。</translation>
    </message>
    <message>
        <source>Generate a key pair</source>
        <translation>生成密钥对</translation>
    </message>
    <message>
        <source>Apply for a certificate</source>
        <translation>申请证书</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Delete the certificate</source>
        <translation>删除证书</translation>
    </message>
    <message>
        <source>Enter the PIN of your key&apos;s certificates (PIV PIN, 6 to 8 digits) to sign the request.</source>
        <translation>请输入密钥的证书 PIN（PIV PIN，6 至 8 位数字）以签署申请。</translation>
    </message>
    <message>
        <source>Sign</source>
        <translation>签署</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Slot %1</source>
        <translation>槽位 %1</translation>
    </message>
    <message>
        <source>Key pair: %1</source>
        <translation>密钥对：%1</translation>
    </message>
    <message>
        <source>No key pair</source>
        <translation>无密钥对</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>主体</translation>
    </message>
    <message>
        <source>Issuer</source>
        <translation>颁发者</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效期</translation>
    </message>
    <message>
        <source>SHA-256 fingerprint: %1</source>
        <translation>SHA-256 指纹：%1</translation>
    </message>
    <message>
        <source>No certificate</source>
        <translation>无证书</translation>
    </message>
    <message>
        <source>Export the certificate</source>
        <translation>导出证书</translation>
    </message>
    <message>
        <source>Certificates (*.pem)</source>
        <translation>证书 (*.pem)</translation>
    </message>
    <message>
        <source>%1 already exists. Replace it?</source>
        <translation>%1 已存在。要替换吗？</translation>
    </message>
    <message>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <source>Slot %1 already holds a key pair. A new one replaces it for good, and its certificate is deleted.</source>
        <translation>槽位 %1 已有密钥对。新的密钥对将永久替换它，其证书也会被删除。</translation>
    </message>
    <message>
        <source>Replace the key pair</source>
        <translation>替换密钥对</translation>
    </message>
    <message>
        <source>Delete the certificate in slot %1 from the key? You can apply for a new one later.</source>
        <translation>要从密钥中删除槽位 %1 的证书吗？以后可以重新申请。</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>New key pairs ask for a touch of the key for every signature</source>
        <translation>新生成的密钥对每次签名都需要触摸密钥</translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <source>History</source>
        <translation>交易记录</translation>
    </message>
    <message>
        <source>Every load and payment of this key, newest first.</source>
        <translation>此密钥的每一笔圈存和消费，最新的在前。</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Loads</source>
        <translation>圈存</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>消费</translation>
    </message>
    <message>
        <source>Search merchant, terminal, amount</source>
        <translation>搜索商户、终端、金额</translation>
    </message>
    <message>
        <source>Transactions</source>
        <translation>交易</translation>
    </message>
    <message>
        <source>No transactions match.</source>
        <translation>没有符合条件的交易。</translation>
    </message>
    <message>
        <source>Previous</source>
        <translation>上一页</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>下一页</translation>
    </message>
    <message>
        <source>From, e.g. %1</source>
        <translation>起始日期，如 %1</translation>
    </message>
    <message>
        <source>To, e.g. %1</source>
        <translation>截止日期，如 %1</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Export the transactions</source>
        <translation>导出交易记录</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>%1 already exists. Replace it?</source>
        <translation>%1 已存在。要替换它吗？</translation>
    </message>
    <message>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>KeyPage</name>
    <message>
        <source>My key</source>
        <translation>我的密钥</translation>
    </message>
    <message>
        <source>The SmartKey holds your purse. The wallet reads it when it is plugged in.</source>
        <translation>SmartKey 中保存着您的电子钱包。插入后，钱包会自动读取。</translation>
    </message>
    <message>
        <source>Command that installs the device rule</source>
        <translation>安装设备规则的命令</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Issuing…</source>
        <translation>正在发行…</translation>
    </message>
    <message>
        <source>Issue with the demo profile</source>
        <translation>用演示配置发行</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>重新检查</translation>
    </message>
    <message>
        <source>Key details</source>
        <translation>密钥详情</translation>
    </message>
    <message>
        <source>Serial number</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>Firmware</source>
        <translation>固件</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Keys found</source>
        <translation>已找到的密钥</translation>
    </message>
    <message>
        <source>Several keys are plugged in. The wallet uses the one marked in use.</source>
        <translation>插入了多个密钥。钱包使用标记为“使用中”的那一个。</translation>
    </message>
    <message>
        <source>simulated</source>
        <translation>模拟</translation>
    </message>
    <message>
        <source>in use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN 码</translation>
    </message>
    <message>
        <source>The PIN protects payments and loads. Change it here; the key checks the current one.</source>
        <translation>PIN 码保护付款和圈存充值。可在此修改，当前 PIN 码由密钥核验。</translation>
    </message>
    <message>
        <source>Change PIN…</source>
        <translation>修改 PIN 码…</translation>
    </message>
    <message>
        <source>Change PIN</source>
        <translation>修改 PIN 码</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>LoadPage</name>
    <message>
        <source>Load money</source>
        <translation>圈存充值</translation>
    </message>
    <message>
        <source>Move money from your bank account onto the key. Your bank authorises every load.</source>
        <translation>将银行账户中的资金转入密钥。每笔圈存都由银行授权。</translation>
    </message>
    <message>
        <source>Load %1 yuan</source>
        <translation>圈存 %1 元</translation>
    </message>
    <message>
        <source>Up to %1 per load.</source>
        <translation>每次最多 %1。</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>圈存</translation>
    </message>
    <message>
        <source>Enter your PIN to load %1.</source>
        <translation>请输入 PIN 码以圈存 %1。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>New balance</source>
        <translation>新余额</translation>
    </message>
    <message>
        <source>Transaction code (TAC)</source>
        <translation>交易验证码（TAC）</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Confirm the load</source>
        <translation>确认圈存充值</translation>
    </message>
    <message>
        <source>Your bank account is charged %1 and the key credited with it.</source>
        <translation>将从您的银行账户扣款 %1，并存入密钥。</translation>
    </message>
    <message>
        <source>Load %1</source>
        <translation>充值 %1</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>SmartKey Wallet</source>
        <translation>SmartKey 钱包</translation>
    </message>
    <message>
        <source>SmartKey</source>
        <translation>SmartKey</translation>
    </message>
    <message>
        <source>Wallet</source>
        <translation>钱包</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>概览</translation>
    </message>
    <message>
        <source>Load money</source>
        <translation>圈存充值</translation>
    </message>
    <message>
        <source>Pay</source>
        <translation>支付</translation>
    </message>
    <message>
        <source>History</source>
        <translation>交易记录</translation>
    </message>
    <message>
        <source>My key</source>
        <translation>我的密钥</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>SIMULATED KEY: for testing and demonstrations only, no real money.</source>
        <translation>模拟密钥：仅用于测试和演示，不涉及真实资金。</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Loads go to a LOCAL BANK HOST on this computer (a demo bank in %1).</source>
        <translation>圈存由本机上的本地银行主机处理（演示银行，位于 %1）。</translation>
    </message>
    <message>
        <source>Loads go to the configured bank host.</source>
        <translation>圈存由已配置的银行主机处理。</translation>
    </message>
    <message>
        <source>Loads go to the built-in demo issuer (tests only).</source>
        <translation>圈存由内置的演示发卡方处理（仅用于测试）。</translation>
    </message>
</context>
<context>
    <name>Money</name>
    <message>
        <source>Enter an amount.</source>
        <translation>请输入金额。</translation>
    </message>
    <message>
        <source>Use digits and one decimal point, for example 25.50.</source>
        <translation>请使用数字和一个小数点，例如 25.50。</translation>
    </message>
    <message>
        <source>At most two digits after the decimal point.</source>
        <translation>小数点后最多两位。</translation>
    </message>
    <message>
        <source>The amount cannot be negative.</source>
        <translation>金额不能为负数。</translation>
    </message>
    <message>
        <source>The amount must be more than zero.</source>
        <translation>金额必须大于零。</translation>
    </message>
    <message>
        <source>The amount can be at most %1.</source>
        <translation>金额最多为 %1。</translation>
    </message>
    <message>
        <source>A comma only separates thousands, as in 1,250.00. For fen use a point, as in 12.50.</source>
        <translation>逗号只用于千位分隔，如 1,250.00。角分请用小数点，如 12.50。</translation>
    </message>
</context>
<context>
    <name>MoneyConfirmDialog</name>
    <message>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>OverviewPage</name>
    <message>
        <source>Overview</source>
        <translation>概览</translation>
    </message>
    <message>
        <source>Your purse, read from the key just now.</source>
        <translation>刚刚从密钥读取的钱包信息。</translation>
    </message>
    <message>
        <source>Refreshing…</source>
        <translation>正在刷新…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Balance %1</source>
        <translation>余额 %1</translation>
    </message>
    <message>
        <source>E-purse</source>
        <translation>电子钱包</translation>
    </message>
    <message>
        <source>SIMULATED</source>
        <translation>模拟</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>余额</translation>
    </message>
    <message>
        <source>Cardholder</source>
        <translation>持卡人</translation>
    </message>
    <message>
        <source>Card number</source>
        <translation>卡号</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效期</translation>
    </message>
    <message>
        <source>Load money</source>
        <translation>圈存充值</translation>
    </message>
    <message>
        <source>Pay</source>
        <translation>支付</translation>
    </message>
    <message>
        <source>Recent transactions</source>
        <translation>最近交易</translation>
    </message>
    <message>
        <source>No transactions yet.</source>
        <translation>暂无交易。</translation>
    </message>
    <message>
        <source>All transactions</source>
        <translation>全部交易</translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message numerus="yes">
        <source>PIN, %n digit(s) entered</source>
        <translation>
            <numerusform>PIN 码，已输入 %n 位</numerusform>
        </translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Clear the PIN</source>
        <translation>清除 PIN 码</translation>
    </message>
    <message>
        <source>Delete the last digit</source>
        <translation>删除最后一位</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <source>Type your PIN</source>
        <translation>请输入 PIN 码</translation>
    </message>
</context>
<context>
    <name>PinPage</name>
    <message>
        <source>Enter your PIN</source>
        <translation>请输入 PIN 码</translation>
    </message>
    <message>
        <source>The PIN protects your purse. It is checked by the key itself and never stored.</source>
        <translation>PIN 码保护您的钱包。它由密钥本身验证，从不保存。</translation>
    </message>
    <message>
        <source>The PIN is blocked after too many wrong tries. Take the key and your ID to a branch of your bank to unblock it.</source>
        <translation>错误次数过多，PIN 码已锁定。请携带密钥和身份证件到银行网点解锁。</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>The PIN is blocked</source>
        <translation>PIN 码已锁定</translation>
    </message>
    <message>
        <source>The key refuses every PIN until your bank unblocks it.</source>
        <translation>在银行解锁之前，密钥会拒绝任何 PIN 码。</translation>
    </message>
</context>
<context>
    <name>PurchasePage</name>
    <message>
        <source>Pay</source>
        <translation>支付</translation>
    </message>
    <message>
        <source>Pay a merchant from the purse on your key.</source>
        <translation>用密钥中的钱包向商户付款。</translation>
    </message>
    <message>
        <source>Merchant</source>
        <translation>商户</translation>
    </message>
    <message>
        <source>e.g. Campus Canteen</source>
        <translation type="vanished">例如：校园食堂</translation>
    </message>
    <message>
        <source>Order number (optional)</source>
        <translation type="vanished">订单号（可选）</translation>
    </message>
    <message>
        <source>e.g. A-1024</source>
        <translation type="vanished">例如：A-1024</translation>
    </message>
    <message>
        <source>Review payment</source>
        <translation type="vanished">核对付款</translation>
    </message>
    <message>
        <source>Confirm the payment</source>
        <translation>确认付款</translation>
    </message>
    <message>
        <source>Order number</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Pay %1</source>
        <translation>支付 %1</translation>
    </message>
    <message>
        <source>Enter your PIN to pay %1 to %2.</source>
        <translation>请输入 PIN 码，向 %2 支付 %1。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>New balance</source>
        <translation>新余额</translation>
    </message>
    <message>
        <source>Transaction code (TAC)</source>
        <translation>交易验证码（TAC）</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>%1 is paid from the purse on your key.</source>
        <translation type="vanished">将从密钥上的钱包支付 %1。</translation>
    </message>
    <message>
        <source>Payment link or code from the shop</source>
        <translation>商户提供的支付链接或支付码</translation>
    </message>
    <message>
        <source>smartkey://pay/… or K7QM-4XPA</source>
        <translation>smartkey://pay/… 或 K7QM-4XPA</translation>
    </message>
    <message>
        <source>Open the order</source>
        <translation>打开订单</translation>
    </message>
    <message>
        <source>For</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Pay before</source>
        <translation>付款截止</translation>
    </message>
    <message>
        <source>%1 is paid from the purse on your key to %2, as your bank signed the order.</source>
        <translation>按您的银行签发的订单，从您密钥上的电子钱包向 %2 支付 %1。</translation>
    </message>
    <message>
        <source>Signed by</source>
        <translation>签名方</translation>
    </message>
    <message>
        <source>your key&apos;s certificate (slot 9A)</source>
        <translation>您密钥上的证书（槽位 9A）</translation>
    </message>
    <message>
        <source>Enter the PIN of your key&apos;s certificate (PIV PIN) to sign the payment of %1 to %2.</source>
        <translation>请输入密钥证书的 PIN（PIV PIN），以签署向 %2 支付 %1 的付款。</translation>
    </message>
    <message>
        <source>Sign and pay</source>
        <translation>签名并支付</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Changes apply at once and are remembered.</source>
        <translation>更改立即生效并会被记住。</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
</context>
<context>
    <name>TouchPrompt</name>
    <message>
        <source>Touch your key</source>
        <translation>请触摸密钥</translation>
    </message>
    <message>
        <source>The key is waiting for you to confirm the payment: touch its button now.</source>
        <translation>密钥正在等待您确认付款：请立即触摸密钥上的按钮。</translation>
    </message>
    <message>
        <source>The key is waiting for you to allow the use of its private key: touch its button now.</source>
        <translation>密钥正在等待您允许使用其私钥：请立即触摸密钥上的按钮。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>wallet::app::CertificatesViewModel</name>
    <message>
        <source>Generating a key pair on the key…</source>
        <translation>正在密钥上生成密钥对…</translation>
    </message>
    <message>
        <source>A new key pair was made on the key. Apply for a certificate next.</source>
        <translation>已在密钥上生成新的密钥对。下一步请申请证书。</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was changed.</source>
        <translation>已取消。没有任何更改。</translation>
    </message>
    <message>
        <source>Applying to your bank for a certificate…</source>
        <translation>正在向您的银行申请证书…</translation>
    </message>
    <message>
        <source>Your bank issued the certificate. It is stored on the key.</source>
        <translation>您的银行已签发证书，证书已存入密钥。</translation>
    </message>
    <message>
        <source>Deleting the certificate…</source>
        <translation>正在删除证书…</translation>
    </message>
    <message>
        <source>The certificate was deleted from the key.</source>
        <translation>证书已从密钥中删除。</translation>
    </message>
    <message>
        <source>This slot holds no certificate to export.</source>
        <translation>此槽位没有可导出的证书。</translation>
    </message>
    <message>
        <source>Choose a file to export to.</source>
        <translation>请选择要导出到的文件。</translation>
    </message>
    <message>
        <source>%1 already exists. Nothing was exported.</source>
        <translation>%1 已存在。未导出任何内容。</translation>
    </message>
    <message>
        <source>Could not write %1. Choose another folder.</source>
        <translation>无法写入 %1。请选择其他文件夹。</translation>
    </message>
    <message>
        <source>The certificate was exported to %1.</source>
        <translation>证书已导出到 %1。</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>Your bank has not revoked it (checked against its signed revocation list).</source>
        <translation>您的银行未吊销此证书（已根据银行签名的吊销列表核对）。</translation>
    </message>
    <message>
        <source>Revoked on %1</source>
        <translation>已于 %1 吊销</translation>
    </message>
    <message>
        <source>Your bank revoked this certificate (reason: %1). Payments that need it are refused. Generate a new key pair and apply again.</source>
        <translation>您的银行已吊销此证书（原因：%1）。需要该证书的付款将被拒绝。请生成新的密钥对并重新申请。</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>No bank host is configured, so the wallet cannot ask whether it was revoked.</source>
        <translation>未配置银行主机，钱包无法查询证书是否已被吊销。</translation>
    </message>
    <message>
        <source>The bank&apos;s revocation list could not be fetched. Refresh later.</source>
        <translation>无法获取银行的吊销列表。请稍后刷新。</translation>
    </message>
    <message>
        <source>The wallet could not get the certificate of your bank&apos;s CA, so it cannot check the revocation list&apos;s signature. Refresh later.</source>
        <translation>钱包未能取得银行 CA 的证书，因此无法核验吊销列表的签名。请稍后刷新。</translation>
    </message>
    <message>
        <source>The certificate of the bank&apos;s CA that the wallet has or was given did not issue this certificate, so the revocation list cannot be checked. Apply for a certificate again; if this repeats, contact your bank.</source>
        <translation>钱包已有或收到的银行 CA 证书并未签发此证书，因此无法核验吊销列表。请重新申请证书；如果再次出现，请联系您的银行。</translation>
    </message>
    <message>
        <source>The revocation list failed its signature check against the bank&apos;s CA: it was altered or does not come from your bank, so the wallet does not believe it.</source>
        <translation>吊销列表未通过银行 CA 的签名核验：它被篡改过或并非来自您的银行，因此钱包不予采信。</translation>
    </message>
    <message>
        <source>The bank&apos;s revocation list is not usable (%1).</source>
        <translation>银行的吊销列表无法使用（%1）。</translation>
    </message>
    <message>
        <source>Touch: always (each signature waits for the key&apos;s button)</source>
        <translation>触摸：始终（每次签名都等待按下密钥按钮）</translation>
    </message>
    <message>
        <source>Touch: cached, asked every time (the key has no clock)</source>
        <translation>触摸：缓存，但每次都会要求（密钥没有时钟）</translation>
    </message>
    <message>
        <source>Touch: never</source>
        <translation>触摸：从不</translation>
    </message>
</context>
<context>
    <name>wallet::app::ChangePinViewModel</name>
    <message>
        <source>Enter your current PIN.</source>
        <translation>请输入当前 PIN 码。</translation>
    </message>
    <message>
        <source>Choose a new PIN.</source>
        <translation>请设置新的 PIN 码。</translation>
    </message>
    <message>
        <source>Enter the new PIN again.</source>
        <translation>请再次输入新的 PIN 码。</translation>
    </message>
    <message>
        <source>Changing the PIN on the key. Keep the key inserted…</source>
        <translation>正在密钥上修改 PIN 码，请勿拔出密钥…</translation>
    </message>
    <message>
        <source>The key accepts %1 to %2 digits.</source>
        <translation>密钥接受 %1 到 %2 位数字。</translation>
    </message>
    <message>
        <source>The new PIN is the same as the current one. Choose another.</source>
        <translation>新 PIN 码与当前 PIN 码相同，请另选一个。</translation>
    </message>
    <message>
        <source>The two new PINs were not the same. Choose the new PIN again.</source>
        <translation>两次输入的新 PIN 码不一致，请重新设置新 PIN 码。</translation>
    </message>
    <message>
        <source>Your PIN was changed. Use the new PIN from now on.</source>
        <translation>PIN 码已修改，今后请使用新的 PIN 码。</translation>
    </message>
</context>
<context>
    <name>wallet::app::DiagnosticsViewModel</name>
    <message>
        <source>unknown (no key)</source>
        <translation>未知（无密钥）</translation>
    </message>
    <message>
        <source>no key connected</source>
        <translation>未连接密钥</translation>
    </message>
    <message>
        <source>Log saved to %1. Serial numbers are shortened to their last four digits; PINs and keys are never logged.</source>
        <translation>日志已保存到 %1。序列号只保留最后四位；PIN 码和密钥从不记录。</translation>
    </message>
    <message>
        <source>The log could not be saved: %1</source>
        <translation>日志无法保存：%1</translation>
    </message>
    <message>
        <source>no file chosen</source>
        <translation>未选择文件</translation>
    </message>
</context>
<context>
    <name>wallet::app::ErrorText</name>
    <message numerus="yes">
        <source>%n try(s) left</source>
        <translation>
            <numerusform>还剩 %n 次机会</numerusform>
        </translation>
    </message>
    <message>
        <source>No key found. Insert your SmartKey and try again.</source>
        <translation>未找到密钥。请插入 SmartKey 后重试。</translation>
    </message>
    <message>
        <source>The key is present but this computer does not allow the wallet to open it. Install the SmartKey device rule (see the key page) and insert the key again.</source>
        <translation>密钥已插入，但本机不允许钱包打开它。请安装 SmartKey 设备规则（见“我的密钥”页面），然后重新插入密钥。</translation>
    </message>
    <message>
        <source>Another program is using the key. Close it and try again.</source>
        <translation>另一个程序正在使用密钥。请关闭该程序后重试。</translation>
    </message>
    <message>
        <source>The key did not answer in time. Remove it, insert it again and retry.</source>
        <translation>密钥未及时响应。请拔出后重新插入再试。</translation>
    </message>
    <message>
        <source>The key was removed during the operation. Insert it again: the wallet will check whether the transaction went through and finish it.</source>
        <translation>操作过程中密钥被拔出。请重新插入：钱包会检查交易是否完成并予以处理。</translation>
    </message>
    <message>
        <source>The key sent an answer the wallet does not understand. Insert it again; if this persists, contact your bank.</source>
        <translation>密钥返回了钱包无法识别的应答。请重新插入；如仍出现，请联系您的银行。</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was changed.</source>
        <translation>已取消，未做任何更改。</translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation>PIN 码错误。</translation>
    </message>
    <message>
        <source>The PIN is blocked after too many wrong tries. Take the key and your ID to a branch of your bank to unblock it.</source>
        <translation>错误次数过多，PIN 码已锁定。请携带密钥和身份证件到银行网点解锁。</translation>
    </message>
    <message>
        <source>This operation needs your PIN. Enter it and try again.</source>
        <translation>此操作需要 PIN 码。请输入后重试。</translation>
    </message>
    <message>
        <source>The key could not verify the bank&apos;s authorisation. No money moved. Try again; if this repeats, contact your bank.</source>
        <translation>密钥无法验证银行的授权，资金未发生变动。请重试；如反复出现，请联系您的银行。</translation>
    </message>
    <message>
        <source>The balance is not enough for this payment.</source>
        <translation>余额不足，无法完成此笔支付。</translation>
    </message>
    <message>
        <source>This key has reached its maximum number of transactions. Ask your bank for a new key.</source>
        <translation>此密钥的交易次数已达上限。请向银行申请新密钥。</translation>
    </message>
    <message>
        <source>The key does not support this bank&apos;s terminal keys. Contact your bank.</source>
        <translation>此密钥不支持该银行的终端密钥。请联系您的银行。</translation>
    </message>
    <message>
        <source>The key holds no proof for that transaction.</source>
        <translation>密钥中没有该笔交易的凭证。</translation>
    </message>
    <message>
        <source>The purse application was not found on this key. It may not be issued yet.</source>
        <translation>此密钥上没有找到电子钱包应用，可能尚未发行。</translation>
    </message>
    <message>
        <source>The purse on this key is temporarily blocked. Contact your bank to unblock it.</source>
        <translation>此密钥上的钱包已被临时锁定。请联系银行解锁。</translation>
    </message>
    <message>
        <source>The purse on this key is permanently blocked. Ask your bank for a replacement.</source>
        <translation>此密钥上的钱包已被永久锁定。请向银行申请更换。</translation>
    </message>
    <message>
        <source>The key rejected the request. Try again; if this persists, contact your bank.</source>
        <translation>密钥拒绝了请求。请重试；如仍出现，请联系您的银行。</translation>
    </message>
    <message>
        <source>The key reported a memory failure. Stop using it and contact your bank.</source>
        <translation>密钥报告存储故障。请停止使用并联系您的银行。</translation>
    </message>
    <message>
        <source>Please check what you entered.</source>
        <translation>请检查您输入的内容。</translation>
    </message>
    <message>
        <source>The amount is too large.</source>
        <translation>金额过大。</translation>
    </message>
    <message>
        <source>A security check failed on this computer. Try again.</source>
        <translation>本机上的安全校验失败。请重试。</translation>
    </message>
    <message>
        <source>The bank declined the request. No money moved.</source>
        <translation>银行拒绝了请求，资金未发生变动。</translation>
    </message>
    <message>
        <source>The key&apos;s answer could not be verified. Keep the key inserted; the wallet will check the transaction again.</source>
        <translation>无法验证密钥的应答。请保持密钥插入，钱包将再次核对该交易。</translation>
    </message>
    <message>
        <source>The wallet is not ready for this yet. Try again in a moment.</source>
        <translation>钱包尚未准备好。请稍后再试。</translation>
    </message>
    <message>
        <source>Something went wrong inside the wallet. Export the log from the About page and contact support.</source>
        <translation>钱包内部出现错误。请在“关于”页面导出日志并联系客服。</translation>
    </message>
    <message>
        <source>Something went wrong.</source>
        <translation>出现错误。</translation>
    </message>
    <message>
        <source>Wrong PIN. The PIN is now blocked. Take the key and your ID to a branch of your bank to unblock it.</source>
        <translation>PIN 码错误。PIN 码现已锁定，请携带密钥和身份证件到银行网点解锁。</translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n try(s) left.</source>
        <translation>
            <numerusform>PIN 码错误，还剩 %n 次机会。</numerusform>
        </translation>
    </message>
    <message>
        <source>The key refused the operation in its current state. Nothing was changed.</source>
        <translation>密钥在当前状态下拒绝了该操作，未做任何更改。</translation>
    </message>
    <message>
        <source>The payment was not confirmed on the key: its button was not pressed in time, or the payment was refused there. Nothing was paid. Try again and touch the key when it asks.</source>
        <translation>付款未在密钥上确认：未及时按下按钮，或在密钥上拒绝了付款。未支付任何款项。请重试，并在提示时触摸密钥。</translation>
    </message>
    <message>
        <source>The wallet could not read or save its records on this computer. Nothing on the key was changed by this; see the details for which file and what to do.</source>
        <translation>钱包无法在本机读取或保存记录。密钥上的内容未因此改变；请查看详情了解是哪个文件以及如何处理。</translation>
    </message>
    <message>
        <source>The wallet&apos;s key store does not open with its passphrase, or the file was altered. Nothing was changed; restore the key store from a backup.</source>
        <translation>钱包的密钥库无法用其口令打开，或文件已被改动。未做任何更改；请从备份恢复密钥库。</translation>
    </message>
    <message>
        <source>It is not known yet whether this went through. Do not repeat it: the wallet checks it with the key as soon as the key is back, and shows the result.</source>
        <translation>尚不确定此操作是否成功。请勿重复操作：密钥插回后，钱包会与密钥核对并显示结果。</translation>
    </message>
    <message>
        <source>The bank could not be reached. Nothing was sent and no money moved. Check the connection and try again.</source>
        <translation>无法连接银行。未发送任何内容，资金没有变动。请检查网络连接后重试。</translation>
    </message>
</context>
<context>
    <name>wallet::app::HistoryViewModel</name>
    <message>
        <source>The start date is after the end date.</source>
        <translation>开始日期晚于结束日期。</translation>
    </message>
    <message numerus="yes">
        <source>Page %1 of %2 · %n transaction(s)</source>
        <extracomment>page X of Y, N transactions</extracomment>
        <translation>
            <numerusform>第 %1 / %2 页 · 共 %n 笔交易</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose a file to export to.</source>
        <translation>请选择导出文件。</translation>
    </message>
    <message numerus="yes">
        <source>%n transaction(s) exported to %1.</source>
        <translation>
            <numerusform>已将 %n 笔交易导出到 %1。</numerusform>
        </translation>
    </message>
    <message>
        <source>The export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
    <message>
        <source>Write the start date as the list shows dates, for example %1.</source>
        <translation>请按列表中的日期格式填写起始日期，例如 %1。</translation>
    </message>
    <message>
        <source>Write the end date as the list shows dates, for example %1.</source>
        <translation>请按列表中的日期格式填写截止日期，例如 %1。</translation>
    </message>
    <message>
        <source>%1 already exists. Nothing was exported.</source>
        <translation>%1 已存在，未导出任何内容。</translation>
    </message>
</context>
<context>
    <name>wallet::app::KeyViewModel</name>
    <message>
        <source>The key reports a state this wallet does not know. Update the wallet.</source>
        <translation>密钥报告了钱包无法识别的状态。请更新钱包。</translation>
    </message>
    <message>
        <source>blank</source>
        <translation>空白</translation>
    </message>
    <message>
        <source>issued</source>
        <translation>已发行</translation>
    </message>
    <message>
        <source>blocked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>permanently blocked</source>
        <translation>永久锁定</translation>
    </message>
    <message>
        <source>terminated</source>
        <translation>已终止</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Looking for your key…</source>
        <translation>正在查找密钥…</translation>
    </message>
    <message>
        <source>No key found</source>
        <translation>未找到密钥</translation>
    </message>
    <message>
        <source>The key cannot be opened</source>
        <translation>无法打开密钥</translation>
    </message>
    <message>
        <source>The key is in use</source>
        <translation>密钥正被占用</translation>
    </message>
    <message>
        <source>Choose a key</source>
        <translation>选择密钥</translation>
    </message>
    <message>
        <source>Reading the key…</source>
        <translation>正在读取密钥…</translation>
    </message>
    <message>
        <source>Simulated key</source>
        <translation>模拟密钥</translation>
    </message>
    <message>
        <source>SmartKey</source>
        <translation>SmartKey</translation>
    </message>
    <message>
        <source>The purse is blocked</source>
        <translation>钱包已锁定</translation>
    </message>
    <message>
        <source>The key is no longer usable</source>
        <translation>密钥已无法使用</translation>
    </message>
    <message>
        <source>The purse has expired</source>
        <translation>钱包已过期</translation>
    </message>
    <message>
        <source>The key could not be read</source>
        <translation>无法读取密钥</translation>
    </message>
    <message>
        <source>This takes a moment.</source>
        <translation>请稍候。</translation>
    </message>
    <message>
        <source>Insert your SmartKey into a USB port. The wallet notices it by itself.</source>
        <translation>请将 SmartKey 插入 USB 接口，钱包会自动识别。</translation>
    </message>
    <message>
        <source>A key is plugged in, but this computer does not allow the wallet to open it. Install the SmartKey device rule with the command below, then unplug the key and insert it again.</source>
        <translation>已插入密钥，但本机不允许钱包打开它。请用下面的命令安装 SmartKey 设备规则，然后拔出密钥再重新插入。</translation>
    </message>
    <message>
        <source>Another program is using the key. Close that program; the wallet retries by itself.</source>
        <translation>另一个程序正在使用密钥。请关闭该程序，钱包会自动重试。</translation>
    </message>
    <message>
        <source>Several keys are plugged in. Choose the one you want to use.</source>
        <translation>插入了多个密钥。请选择要使用的密钥。</translation>
    </message>
    <message>
        <source>Your key is ready.</source>
        <translation>密钥已就绪。</translation>
    </message>
    <message>
        <source>This simulated key has not been issued yet. Issue it with the demo profile to try the wallet (PIN 123456).</source>
        <translation>此模拟密钥尚未发行。用演示配置发行后即可试用钱包（PIN 码 123456）。</translation>
    </message>
    <message>
        <source>This key has not been issued yet. Your bank issues it at the branch; until then it holds no purse.</source>
        <translation>此密钥尚未发行。请到银行网点办理发行；发行前密钥中没有钱包。</translation>
    </message>
    <message>
        <source>The purse on this key is blocked. Bring the key and your ID to a branch of your bank to unblock it.</source>
        <translation>此密钥上的钱包已锁定。请携带密钥和身份证件到银行网点解锁。</translation>
    </message>
    <message>
        <source>This key has been permanently blocked by your bank. Ask your bank for a replacement key.</source>
        <translation>此密钥已被银行永久锁定。请向银行申请更换密钥。</translation>
    </message>
    <message>
        <source>The purse on this key is past its validity date. Ask your bank to renew it; the remaining balance is refunded or moved to the new key.</source>
        <translation>此密钥上的钱包已过有效期。请联系银行续期；剩余余额将退还或转入新密钥。</translation>
    </message>
    <message>
        <source>%1 — serial %2, firmware %3, %4</source>
        <extracomment>%1 = &quot;Simulated key&quot; or &quot;SmartKey&quot;, %2 = serial, %3 = firmware version, %4 = life cycle (&quot;blank&quot;)</extracomment>
        <translation>%1 — 序列号 %2，固件 %3，%4</translation>
    </message>
    <message>
        <source>Simulated key at %1</source>
        <extracomment>the simulated key&apos;s connection, %1 = its loopback address and port</extracomment>
        <translation>模拟密钥，地址 %1</translation>
    </message>
</context>
<context>
    <name>wallet::app::LoadViewModel</name>
    <message>
        <source>Your bank is authorising the load of %1. Keep the key inserted…</source>
        <translation>银行正在授权 %1 的圈存。请保持密钥插入…</translation>
    </message>
    <message>
        <source>The load did not start</source>
        <translation>圈存未能开始</translation>
    </message>
    <message>
        <source>The key was removed during the load</source>
        <translation>圈存过程中密钥被拔出</translation>
    </message>
    <message>
        <source>The load did not go through</source>
        <translation>圈存未成功</translation>
    </message>
    <message>
        <source>Loaded %1</source>
        <translation>已圈存 %1</translation>
    </message>
    <message>
        <source>The connection was interrupted, but the wallet confirmed with the key that the load went through.</source>
        <translation>连接曾中断，但钱包已与密钥确认圈存成功。</translation>
    </message>
    <message>
        <source>The money is on your key.</source>
        <translation>资金已存入您的密钥。</translation>
    </message>
    <message>
        <source>Checking the interrupted load…</source>
        <translation>正在核对中断的圈存…</translation>
    </message>
    <message>
        <source>This is a different key. Insert the key that was removed to finish the check.</source>
        <translation>这是另一个密钥。请插入之前拔出的密钥以完成核对。</translation>
    </message>
    <message>
        <source>Checking the load…</source>
        <translation>正在核对充值…</translation>
    </message>
    <message>
        <source>Still checking: the key could not tell yet. Keep it inserted, or insert it again later; do not load it again.</source>
        <translation>仍在核对：密钥暂时无法确定。请保持密钥插入，或稍后重新插入；请勿再次充值。</translation>
    </message>
    <message>
        <source>The key is back and proved the load went through.</source>
        <translation>密钥已插回，并证明充值已成功。</translation>
    </message>
    <message>
        <source>The key is back and proved the load never reached it; your bank gave the money back to your funding account. You can load again.</source>
        <translation>密钥已插回，并证明充值未到达密钥；银行已将款项退回您的资金账户。您可以再次充值。</translation>
    </message>
    <message>
        <source>The load is being checked by your bank</source>
        <translation>银行正在核查此次充值</translation>
    </message>
    <message>
        <source>The key can no longer prove whether the load went through. Do not load it again: your bank keeps the record and will settle it.</source>
        <translation>密钥已无法证明充值是否成功。请勿再次充值：银行保留记录并会处理。</translation>
    </message>
</context>
<context>
    <name>wallet::app::OverviewViewModel</name>
    <message>
        <source>Cardholder</source>
        <translation>持卡人</translation>
    </message>
    <message>
        <source>%1 to %2</source>
        <extracomment>validity period of the purse: from date to date</extracomment>
        <translation>%1 至 %2</translation>
    </message>
    <message>
        <source>This key has not been issued yet.</source>
        <translation>此密钥尚未发行。</translation>
    </message>
    <message>
        <source>The purse is blocked. Bring the key and your ID to a branch of your bank.</source>
        <translation>钱包已锁定。请携带密钥和身份证件到银行网点办理。</translation>
    </message>
    <message>
        <source>The purse is permanently blocked. Ask your bank for a replacement key.</source>
        <translation>钱包已被永久锁定。请向银行申请更换密钥。</translation>
    </message>
    <message>
        <source>The purse is not valid yet. It can be used from %1.</source>
        <translation>钱包尚未生效，自 %1 起可以使用。</translation>
    </message>
    <message>
        <source>The purse expired on %1. Ask your bank to renew it.</source>
        <translation>钱包已于 %1 过期。请联系银行续期。</translation>
    </message>
    <message>
        <source>This key was issued by a bank this wallet does not accept.</source>
        <translation>此密钥的发卡银行不在本钱包的受理范围内。</translation>
    </message>
    <message>
        <source>This key does not hold an electronic purse.</source>
        <translation>此密钥中没有电子钱包。</translation>
    </message>
</context>
<context>
    <name>wallet::app::PinViewModel</name>
    <message>
        <source>The PIN is blocked.</source>
        <translation>PIN 码已锁定。</translation>
    </message>
    <message>
        <source>Last try: if this PIN is wrong too, the key locks and only a branch of your bank can unblock it (take the key and your ID).</source>
        <translation>最后一次机会：如果这次 PIN 码仍然错误，密钥将被锁定，只能到银行网点解锁（请携带密钥和身份证件）。</translation>
    </message>
</context>
<context>
    <name>wallet::app::PurchaseViewModel</name>
    <message>
        <source>Enter the merchant&apos;s name.</source>
        <translation type="vanished">请输入商户名称。</translation>
    </message>
    <message>
        <source>The merchant&apos;s name can be at most %1 characters.</source>
        <translation type="vanished">商户名称最多 %1 个字符。</translation>
    </message>
    <message>
        <source>The order number can be at most %1 characters.</source>
        <translation type="vanished">订单号最多 %1 个字符。</translation>
    </message>
    <message>
        <source>Paying %1 to %2. Keep the key inserted…</source>
        <translation>正在向 %2 支付 %1。请保持密钥插入…</translation>
    </message>
    <message>
        <source>The payment did not start</source>
        <translation>支付未能开始</translation>
    </message>
    <message>
        <source>The key was removed during the payment</source>
        <translation>支付过程中密钥被拔出</translation>
    </message>
    <message>
        <source>The payment did not go through</source>
        <translation>支付未成功</translation>
    </message>
    <message>
        <source>Paid %1</source>
        <translation>已支付 %1</translation>
    </message>
    <message>
        <source>Paid to %1.</source>
        <translation type="vanished">已付款给%1。</translation>
    </message>
    <message>
        <source>Checking the interrupted payment…</source>
        <translation>正在核对中断的支付…</translation>
    </message>
    <message>
        <source>This is a different key. Insert the key that was removed to finish the check.</source>
        <translation>这是另一个密钥。请插入之前拔出的密钥以完成核对。</translation>
    </message>
    <message>
        <source>%1 is more than the balance on the key (%2).</source>
        <translation type="vanished">%1 超过了密钥上的余额（%2）。</translation>
    </message>
    <message>
        <source>Checking the payment…</source>
        <translation>正在核对付款…</translation>
    </message>
    <message>
        <source>Still checking: the key could not tell yet. Keep it inserted, or insert it again later; do not pay again.</source>
        <translation type="vanished">仍在核对：密钥暂时无法确定。请保持密钥插入，或稍后重新插入；请勿再次付款。</translation>
    </message>
    <message>
        <source>The key is back and proved the payment went through.</source>
        <translation type="vanished">密钥已插回，并证明付款已成功。</translation>
    </message>
    <message>
        <source>The key is back and proved the payment never reached it: nothing was charged. You can pay again.</source>
        <translation type="vanished">密钥已插回，并证明付款未到达密钥：未扣任何款项。您可以再次付款。</translation>
    </message>
    <message>
        <source>The payment is being checked by the bank</source>
        <translation>银行正在核查此次付款</translation>
    </message>
    <message>
        <source>The key can no longer prove whether the payment went through. Do not pay again: the bank keeps the record and will settle it.</source>
        <translation>密钥已无法证明付款是否成功。请勿再次付款：银行保留记录并会处理。</translation>
    </message>
    <message>
        <source>Fetching the order from your bank…</source>
        <translation>正在从您的银行获取订单…</translation>
    </message>
    <message>
        <source>Paying a shop needs your bank&apos;s host. Put a bank-client.json file (the bank&apos;s URL, its CA certificate, and this terminal&apos;s certificate and key files, as your bank gives them) into %1, then open the Pay page again. See docs/core.md, &quot;The bank client&quot;.</source>
        <translation>向商户付款需要银行主机。请将 bank-client.json 文件（银行的网址、其 CA 证书，以及本终端的证书和密钥文件，由银行提供）放入 %1，然后重新打开“支付”页面。参见 docs/core.md 中的“银行客户端”一节。</translation>
    </message>
    <message>
        <source>This is neither a payment link (smartkey://pay/…) nor a payment code (like K7QM-4XPA).</source>
        <translation>这既不是支付链接（smartkey://pay/…），也不是支付码（例如 K7QM-4XPA）。</translation>
    </message>
    <message>
        <source>This order cannot be paid</source>
        <translation>此订单无法支付</translation>
    </message>
    <message>
        <source>The order is not the one your bank signed: it was altered, or it is another merchant&apos;s. Nothing was sent to the key.</source>
        <translation>此订单与您的银行签发的不一致：它被篡改过，或属于其他商户。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>This order is already paid. Nothing was sent to the key.</source>
        <translation>此订单已支付。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>A payment of this order is being checked. Do not pay again: it is settled with the key that paid it. Nothing was sent to the key.</source>
        <translation>此订单的一笔支付正在核实中。请勿重复支付：将由付款的密钥完成结算。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>The merchant cancelled this order. Nothing was sent to the key.</source>
        <translation>商户已取消此订单。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>This order expired at %1. Ask the shop for a new one. Nothing was sent to the key.</source>
        <translation>此订单已于 %1 过期。请向商户索取新订单。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>Your bank has no such order. Check the code. Nothing was sent to the key.</source>
        <translation>您的银行没有此订单。请核对支付码。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>The order shows &quot;checking&quot; at the shop until the key proves whether it was paid. Do not pay again: it is never paid twice. Keep the key inserted, or insert it again.</source>
        <translation>在密钥证明是否已支付之前，商户处的订单显示为“核实中”。请勿重复支付：订单绝不会被支付两次。请保持密钥插入，或重新插入密钥。</translation>
    </message>
    <message>
        <source>Paid to %1 for order %2.</source>
        <translation>已向 %1 支付订单 %2。</translation>
    </message>
    <message>
        <source>Still checking: the key could not tell yet. The order shows &quot;checking&quot; at the shop. Keep the key inserted, or insert it again later; do not pay again.</source>
        <translation>仍在核实：密钥暂时无法给出结果。商户处的订单显示为“核实中”。请保持密钥插入，或稍后重新插入；请勿重复支付。</translation>
    </message>
    <message>
        <source>The key is back and proved the payment of order %1 to %2 went through.</source>
        <translation>密钥已重新连接，并证明向 %2 支付订单 %1 已成功。</translation>
    </message>
    <message>
        <source>The key is back and proved the payment never reached it: nothing was charged and the order is open again. You can pay it again.</source>
        <translation>密钥已重新连接，并证明该笔支付从未到达密钥：没有扣款，订单已重新开放。您可以再次支付。</translation>
    </message>
    <message>
        <source>%1 is more than the balance on the key (%2). Load money first, then open the order again. Nothing was sent to the key.</source>
        <translation>%1 超过了密钥上的余额（%2）。请先圈存充值，再重新打开订单。未向密钥发送任何指令。</translation>
    </message>
    <message>
        <source>%1 asks your key to sign this payment with its certificate (slot 9A): %2 to %1 for order %3. Your bank keeps the signature as proof that you paid.</source>
        <translation>%1 要求您的密钥用其证书（槽位 9A）签署此次付款：向 %1 支付 %2，订单 %3。您的银行会保存该签名，作为您付款的证明。</translation>
    </message>
    <message>
        <source>%1 asks your key to sign the payment with its certificate, and the key holds none (slot 9A). Open Certificates, generate a key pair in slot 9A and apply for a certificate, then open the order again. Nothing was paid.</source>
        <translation>%1 要求您的密钥用其证书签署付款，但密钥中没有证书（槽位 9A）。请打开“证书”页面，在槽位 9A 生成密钥对并申请证书，然后重新打开订单。未进行任何支付。</translation>
    </message>
    <message>
        <source>%1 asks your key to sign the payment with its certificate, but the certificate in slot 9A is not for the key pair there. Open Certificates and apply for a certificate again, then open the order again. Nothing was paid.</source>
        <translation>%1 要求您的密钥用其证书签署付款，但槽位 9A 中的证书与该槽位的密钥对不符。请打开“证书”页面重新申请证书，然后重新打开订单。未进行任何支付。</translation>
    </message>
    <message>
        <source>Your key did not sign the payment for %1: its button was not touched in time, or the signature was refused on the key. Nothing was paid. Open the order again and touch the key when it asks.</source>
        <translation>您的密钥没有为 %1 签署这笔付款：未在时限内按下密钥的按钮，或在密钥上拒绝了签名。未进行任何支付。请重新打开订单，并在密钥提示时按下按钮。</translation>
    </message>
    <message>
        <source>The key could not sign the payment with its certificate: %1 Nothing was paid.</source>
        <translation>密钥无法用其证书签署付款：%1 未进行任何支付。</translation>
    </message>
    <message>
        <source>Your bank refused the payment: it revoked the certificate on your key (slot 9A). Nothing was debited and the order is still open. Open Certificates to see it, then generate a new key pair and apply again. (Bank code: %1)</source>
        <translation>您的银行拒绝了此次付款：银行已吊销您密钥上的证书（槽位 9A）。未扣任何款项，订单仍未支付。请打开“证书”页面查看，然后生成新的密钥对并重新申请。（银行代码：%1）</translation>
    </message>
    <message>
        <source>Your bank refused the signature your key made with its certificate. Nothing was debited and the order is still open. Open Certificates and apply for a certificate again. (Bank code: %1)</source>
        <translation>您的银行拒绝了密钥用其证书所做的签名。未扣任何款项，订单仍未支付。请打开“证书”页面重新申请证书。（银行代码：%1）</translation>
    </message>
</context>
<context>
    <name>wallet::app::TransactionListModel</name>
    <message>
        <source>Load</source>
        <translation>圈存</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>消费</translation>
    </message>
    <message>
        <source>Composite payment</source>
        <translation>复合消费</translation>
    </message>
    <message>
        <source>Transaction</source>
        <translation>交易</translation>
    </message>
    <message>
        <source>Terminal %1</source>
        <translation>终端 %1</translation>
    </message>
    <message>
        <source>From your bank</source>
        <translation>来自您的银行</translation>
    </message>
</context>
</TS>
