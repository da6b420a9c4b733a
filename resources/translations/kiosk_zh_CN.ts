<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>KioskMain</name>
    <message>
        <source>SmartKey kiosk</source>
        <translation>SmartKey 自助终端</translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation>PIN 错误。</translation>
    </message>
    <message>
        <source>The PIN of this key is blocked. Please go to your bank branch.</source>
        <translation>此密钥的 PIN 已锁定。请前往银行网点办理。</translation>
    </message>
    <message>
        <source>The PIN has at least 4 digits.</source>
        <translation>PIN 至少 4 位数字。</translation>
    </message>
    <message>
        <source>Not enough money on the key.</source>
        <translation>密钥余额不足。</translation>
    </message>
    <message>
        <source>The key was removed before paying. Nothing was charged.</source>
        <translation>付款前密钥已拔出，未扣款。</translation>
    </message>
    <message>
        <source>The key proved the payment did not happen. Nothing was charged.</source>
        <translation>密钥证明此笔付款未发生，未扣款。</translation>
    </message>
    <message>
        <source>This key has been reported lost or blocked by the bank. It cannot pay here. Please contact your bank.</source>
        <translation>此密钥已被银行挂失或冻结，不能在此付款。请联系您的银行。</translation>
    </message>
    <message>
        <source>This key has no purse yet. Please go to your bank branch.</source>
        <translation>此密钥尚未开通电子钱包。请前往银行网点办理。</translation>
    </message>
    <message>
        <source>This key cannot pay: it is blocked or expired. Please contact your bank.</source>
        <translation>此密钥不能付款：已锁定或已过期。请联系您的银行。</translation>
    </message>
    <message>
        <source>The key could not be read. Please take it out and insert it again.</source>
        <translation>无法读取密钥。请拔出后重新插入。</translation>
    </message>
    <message>
        <source>The key refused the payment. Nothing was charged.</source>
        <translation>密钥拒绝了此笔付款，未扣款。</translation>
    </message>
    <message>
        <source>The kiosk cannot record sales right now. Nothing was charged. Please call staff.</source>
        <translation>终端暂时无法记录交易，未扣款。请联系工作人员。</translation>
    </message>
    <message>
        <source>The kiosk's security module (SAM) is not answering. Nothing was charged. Please call staff.</source>
        <translation>终端的安全模块（SAM）没有响应，未扣款。请联系工作人员。</translation>
    </message>
    <message>
        <source>Out of service</source>
        <translation>暂停服务</translation>
    </message>
    <message>
        <source>The kiosk's security module (SAM) is not answering. Nothing can be paid now. Please call staff.</source>
        <translation>终端的安全模块（SAM）没有响应，现在无法付款。请联系工作人员。</translation>
    </message>
    <message>
        <source>The security module (SAM) is not answering: no sale and no upload until it is back. The kiosk tries it every 5 seconds.</source>
        <translation>安全模块（SAM）没有响应：在其恢复之前不能销售，也不能上传。终端每 5 秒重试一次。</translation>
    </message>
    <message>
        <source>The security module (SAM) is not answering: the upload waits until it is back.</source>
        <translation>安全模块（SAM）没有响应：上传将等到其恢复后进行。</translation>
    </message>
    <message>
        <source>Wrong operator PIN.</source>
        <translation>操作员 PIN 错误。</translation>
    </message>
    <message>
        <source>Type an amount such as 12.50.</source>
        <translation>请输入金额，例如 12.50。</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>欢迎</translation>
    </message>
    <message>
        <source>Insert your key to pay %1.</source>
        <translation>请插入您的密钥，支付 %1。</translation>
    </message>
    <message>
        <source>Please ask the cashier to start your purchase.</source>
        <translation>请让收银员开始您的购买。</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>工作人员</translation>
    </message>
    <message>
        <source>Amount to pay</source>
        <translation>应付金额</translation>
    </message>
    <message>
        <source>On your key: %1</source>
        <translation>密钥余额：%1</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Pay</source>
        <translation>支付</translation>
    </message>
    <message>
        <source>Operator PIN</source>
        <translation>操作员 PIN</translation>
    </message>
    <message>
        <source>Enter your PIN</source>
        <translation>请输入 PIN</translation>
    </message>
    <message>
        <source>Type your PIN</source>
        <translation>请输入您的 PIN</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>Paying… Touch your key when it blinks, and keep it inserted.</source>
        <translation>正在支付……密钥闪烁时请触摸它，并保持插入。</translation>
    </message>
    <message>
        <source>Checking the payment</source>
        <translation>正在核实付款</translation>
    </message>
    <message>
        <source>The key answered the payment, but the kiosk's security module (SAM) was removed before it could check that answer. The sale is kept; it is checked when the SAM is back. You will never be charged twice.</source>
        <translation>密钥已应答此笔付款，但终端的安全模块（SAM）在核验该应答前被拔出。此笔交易已保存，SAM 插回后即核验。您绝不会被重复扣款。</translation>
    </message>
    <message>
        <source>The key was removed while paying. Please insert the same key again: the kiosk asks it whether the payment went through. You will never be charged twice.</source>
        <translation>付款过程中密钥被拔出。请重新插入同一把密钥：终端会向它核实付款是否完成。您绝不会被重复扣款。</translation>
    </message>
    <message>
        <source>Paid. Thank you!</source>
        <translation>支付成功，谢谢！</translation>
    </message>
    <message>
        <source>Merchant</source>
        <translation>商户</translation>
    </message>
    <message>
        <source>Amount paid</source>
        <translation>支付金额</translation>
    </message>
    <message>
        <source>Balance on the key</source>
        <translation>密钥余额</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Transaction number</source>
        <translation>交易序号</translation>
    </message>
    <message>
        <source>TAC</source>
        <translation>TAC</translation>
    </message>
    <message>
        <source>The receipt was sent to the printer.</source>
        <translation>小票已发送到打印机。</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>This key cannot pay here</source>
        <translation>此密钥不能在此付款</translation>
    </message>
    <message>
        <source>Not paid</source>
        <translation>未支付</translation>
    </message>
    <message>
        <source>Amount of the next sale</source>
        <translation>下一笔交易金额</translation>
    </message>
    <message>
        <source>Start sale</source>
        <translation>开始交易</translation>
    </message>
    <message>
        <source>Waiting for settlement: %1 · being checked: %2</source>
        <translation>待结算：%1 · 核实中：%2</translation>
    </message>
    <message>
        <source>Uploading the sales to the bank…</source>
        <translation>正在向银行上传交易……</translation>
    </message>
    <message>
        <source>Settlement uploaded. The bank has every sale.</source>
        <translation>结算已上传，银行已收到全部交易。</translation>
    </message>
    <message>
        <source>The bank cannot be reached. The sales are kept safely and will be uploaded later.</source>
        <translation>无法连接银行。交易已安全保存，稍后上传。</translation>
    </message>
    <message>
        <source>No bank is configured for this kiosk.</source>
        <translation>此终端未配置银行。</translation>
    </message>
    <message>
        <source>The bank refused the settlement. Please call support.</source>
        <translation>银行拒绝了结算。请联系技术支持。</translation>
    </message>
    <message>
        <source>Upload settlement</source>
        <translation>上传结算</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Exit kiosk mode</source>
        <translation>退出自助模式</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>小票</translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n tries left on your key.</source>
        <translation>
            <numerusform>PIN 错误。密钥还可尝试 %n 次。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Too many failed payments. The kiosk is locked for %n seconds.</source>
        <translation>
            <numerusform>失败次数过多，终端锁定 %n 秒。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Today: %n sale(s), %1</source>
        <translation>
            <numerusform>今日：%n 笔，%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Next automatic upload in %1 s.</source>
        <translation>%1 秒后自动上传。</translation>
    </message>
    <message>
        <source>paid (proven by the key)</source>
        <translation>已付款（密钥已证明）</translation>
    </message>
    <message>
        <source>not paid (proven by the key)</source>
        <translation>未付款（密钥已证明）</translation>
    </message>
    <message>
        <source>being checked: insert this key</source>
        <translation>核实中：请插入此密钥</translation>
    </message>
    <message>
        <source>%1, key %2: %3</source>
        <translation>%1，密钥 %2：%3</translation>
    </message>
</context>
</TS>
